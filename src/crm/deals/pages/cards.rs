//! The board's cards as markup. A board shows up to 120 cards; printing them here, every
//! value escaped, costs a fraction of looping over them in the template.

use super::super::store::Card;
use crate::domain::Money;
use crate::web::push_escaped as esc;
use std::fmt::Write;

/// What every card of a board says the same way, translated once.
pub struct Labels {
    /// "Move" (the summary and the button).
    pub move_: String,
    /// "Move to" (the stage selector's label).
    pub move_to: String,
    /// "Stalled" (the badge).
    pub stalled: String,
    /// The CSRF token of the move forms.
    pub csrf: String,
    /// Where a move form returns to.
    pub back: String,
}

/// One card: `movable` cards can be dragged and carry the no-script stage selector, whose
/// `<option>`s (`stages`, the current one selected) are shared by the column.
pub fn card(out: &mut String, c: &Card, movable: bool, stages: &str, l: &Labels) {
    out.push_str("<li class=\"deal-card");
    if c.stalled_at.is_some() {
        out.push_str(" stalled");
    }
    out.push('"');
    if movable {
        let _ = write!(
            out,
            " draggable=\"true\" data-id=\"{}\" data-version=\"{}\"",
            c.id, c.version
        );
    }
    let _ = write!(out, ">\n<a class=\"deal-name\" href=\"/deals/{}\">", c.id);
    esc(out, &c.name);
    out.push_str("</a>\n");
    if let Some(company) = c.company.as_deref().filter(|s| !s.is_empty()) {
        out.push_str("<div class=\"muted small\">");
        esc(out, company);
        out.push_str("</div>\n");
    }
    out.push_str("<div class=\"deal-meta\"><strong class=\"nowrap\">");
    esc(out, &c.currency);
    out.push(' ');
    esc(out, &Money::from_minor(c.amount).to_string());
    out.push_str("</strong>");
    if let Some(close) = c.expected_close.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(" <span class=\"muted small nowrap\">");
        esc(out, close);
        out.push_str("</span>");
    }
    out.push_str("</div>\n<div class=\"muted small\">");
    esc(out, c.owner.as_deref().unwrap_or_default());
    if c.stalled_at.is_some() {
        out.push_str(" <span class=\"badge badge-stalled\">");
        esc(out, &l.stalled);
        out.push_str("</span>");
    }
    out.push_str("</div>\n");
    if movable {
        out.push_str("<details class=\"card-move\"><summary>");
        esc(out, &l.move_);
        let _ = write!(
            out,
            "</summary>\n<form method=\"post\" action=\"/deals/{}/stage\" class=\"move-form\">",
            c.id
        );
        out.push_str("<input type=\"hidden\" name=\"csrf\" value=\"");
        esc(out, &l.csrf);
        let _ = write!(
            out,
            "\"><input type=\"hidden\" name=\"version\" value=\"{}\">",
            c.version
        );
        out.push_str("<input type=\"hidden\" name=\"next\" value=\"");
        esc(out, &l.back);
        out.push_str("\">\n<select name=\"stage_id\" aria-label=\"");
        esc(out, &l.move_to);
        out.push_str("\">");
        out.push_str(stages);
        out.push_str("</select>\n<button type=\"submit\" class=\"btn btn-small\">");
        esc(out, &l.move_);
        out.push_str("</button>\n</form>\n</details>\n");
    }
    out.push_str("</li>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            move_: "移动".into(),
            move_to: "移动到".into(),
            stalled: "停滞".into(),
            csrf: "tok".into(),
            back: "/deals/board?pipeline=1".into(),
        }
    }

    fn a_card() -> Card {
        Card {
            id: 7,
            name: "<b>华为</b> & co".into(),
            company: Some("华为".into()),
            amount: 123_456,
            currency: "CNY".into(),
            expected_close: Some("2026-12-01".into()),
            owner_id: Some(2),
            owner: Some("王伟".into()),
            version: 3,
            stalled_at: Some("2026-11-01".into()),
            stage: None,
        }
    }

    #[test]
    fn a_card_escapes_its_values_and_carries_the_move_form_when_movable() {
        let mut html = String::new();
        card(
            &mut html,
            &a_card(),
            true,
            "<option value=\"1\">A</option>",
            &labels(),
        );
        assert!(html.contains("&lt;b&gt;华为&lt;/b&gt; &amp; co"), "{html}");
        assert!(
            html.contains(
                "class=\"deal-card stalled\" draggable=\"true\" data-id=\"7\" data-version=\"3\""
            ),
            "{html}"
        );
        assert!(html.contains("CNY 1,234.56"), "{html}");
        assert!(html.contains("action=\"/deals/7/stage\""), "{html}");
        assert!(html.contains("<option value=\"1\">A</option>"), "{html}");
    }

    #[test]
    fn a_card_the_user_may_not_move_has_no_form() {
        let mut html = String::new();
        card(&mut html, &a_card(), false, "", &labels());
        assert!(!html.contains("draggable"), "{html}");
        assert!(!html.contains("<form"), "{html}");
    }
}
