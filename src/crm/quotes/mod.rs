//! Quotes (报价单) for a deal: lines from the catalog or free text, exact totals in the
//! company's currency, numbered per year (`Q-2026-0001`), and an approval step when the
//! discount is above the company's threshold.
//!
//! The status runs draft → (pending approval → approved | rejected) → sent → accepted |
//! declined. Editing a quote that is pending, approved or rejected puts it back to draft, so
//! an approval always covers exactly the lines it was given for. A quote is seen by whoever's
//! data scope reaches its owner (the deal's owner) and by the manager asked to approve it.

pub mod api;
pub mod calc;
pub mod flow;
pub mod form;
pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::db::Tx;
use crate::domain::Money;
use crate::error::AppError;
use calc::{LinePrice, Percent, Quantity, Totals};
use serde::Serialize;

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; may be edited.
    Draft,
    /// Waiting for the owner's manager to approve the discount.
    Pending,
    /// The discount was approved; may be sent.
    Approved,
    /// The discount was refused; edit and submit again.
    Rejected,
    /// Sent to the customer; no longer edited.
    Sent,
    /// The customer accepted it.
    Accepted,
    /// The customer declined it.
    Declined,
}

impl Status {
    /// Every status, in the order the list filter offers them.
    pub const ALL: [Status; 7] = [
        Status::Draft,
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Sent,
        Status::Accepted,
        Status::Declined,
    ];

    /// The stored name (also the i18n key suffix `quote.status.NAME`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Sent => "sent",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the lines may still be changed (before it is sent).
    pub fn editable(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::Pending | Status::Approved | Status::Rejected
        )
    }
}

/// A checked quote line: catalog values already copied in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    /// The catalog product it was picked from; `None` for free text.
    pub product_id: Option<i64>,
    /// SKU (empty for free text).
    pub sku: String,
    /// What is sold.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// How many.
    pub quantity: Quantity,
    /// Unit price.
    pub price: Money,
    /// The line's discount.
    pub discount: Percent,
    /// Tax rate.
    pub tax_rate: Percent,
}

impl LineDraft {
    /// What the arithmetic needs.
    pub fn price(&self) -> LinePrice {
        LinePrice {
            quantity: self.quantity,
            price: self.price,
            discount: self.discount,
            tax_rate: self.tax_rate,
        }
    }

    /// One line for the audit log: `SRV-1 云服务器 × 3 @ 33.33 −15% tax 13%`.
    fn summary(&self) -> String {
        let sku = if self.sku.is_empty() {
            String::new()
        } else {
            format!("{} ", self.sku)
        };
        format!(
            "{sku}{} × {} @ {} −{}% tax {}%",
            self.name,
            self.quantity,
            self.price.plain(),
            self.discount,
            self.tax_rate
        )
    }
}

/// A checked quote: header and lines, ready to be priced and saved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The discount on the whole quote.
    pub discount: Percent,
    /// Offer valid until (YYYY-MM-DD).
    pub valid_until: Option<String>,
    /// Terms and notes printed under the lines.
    pub notes: String,
    /// The lines, in order.
    pub lines: Vec<LineDraft>,
}

impl Draft {
    /// Prices the draft; a line too large to be real is named as an error on its quantity.
    pub fn totals(&self) -> Result<Totals, AppError> {
        let prices: Vec<LinePrice> = self.lines.iter().map(LineDraft::price).collect();
        calc::compute(&prices, self.discount).map_err(|e| match e.line {
            Some(i) => AppError::invalid(&format!("line-{i}-quantity"), "quote.error.too_large"),
            None => AppError::invalid("discount", "quote.error.too_large"),
        })
    }

    fn summary(&self) -> String {
        let lines: Vec<String> = self.lines.iter().map(LineDraft::summary).collect();
        lines.join("; ")
    }
}

/// The year a new quote is numbered in: today's year in the company's time zone.
pub fn year_now(time_zone: Option<&str>) -> i32 {
    use chrono::Datelike;
    let tz: chrono_tz::Tz = time_zone
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    chrono::Utc::now().with_timezone(&tz).year()
}

/// Creates a draft quote for a live deal, numbered next in `year`, owned by the deal's
/// owner. The number is taken inside this write, so two creations never share one.
pub fn create(
    tx: &mut Tx<'_>,
    deal_id: i64,
    year: i32,
    currency: &str,
    draft: &Draft,
) -> Result<(i64, String), AppError> {
    let deal = store::deal(tx.conn(), deal_id)?
        .filter(|d| !d.deleted)
        .ok_or_else(|| AppError::invalid("deal", "quote.error.deal"))?;
    let totals = draft.totals()?;
    let seq = store::next_seq(tx.conn(), year)?;
    let number = format!("Q-{year}-{seq:04}");
    let new = store::NewQuote {
        number: &number,
        year,
        seq,
        deal_id,
        owner_id: deal.owner_id,
        currency,
        created_by: tx.actor().user_id,
    };
    let id = store::insert(tx.conn(), &new, draft, &totals)?;
    store::replace_lines(tx.conn(), id, draft, &totals)?;
    tx.audit(
        Event::new("quote.create")
            .entity("quote", id)
            .change("number", None::<String>, number.clone())
            .change("deal", None::<String>, deal.name)
            .change("status", None::<String>, Status::Draft.as_str())
            .change("discount", None::<String>, draft.discount.to_string())
            .change("lines", None::<String>, draft.summary())
            .change("total", None::<String>, totals.total.plain()),
    )?;
    Ok((id, number))
}

/// Saves new lines and header fields if nobody changed the quote since `version`. A quote
/// that was pending, approved or rejected goes back to draft: its approval no longer holds.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, draft: &Draft) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let status = Status::parse(&old.status).unwrap_or(Status::Draft);
    if !status.editable() {
        return Err(AppError::Conflict("quote.error.locked".into()));
    }
    let old_lines = store::lines(tx.conn(), id)?;
    let totals = draft.totals()?;
    if store::update(tx.conn(), id, version, draft, &totals)? == 0 {
        return Err(AppError::Conflict("quote.error.changed".into()));
    }
    store::replace_lines(tx.conn(), id, draft, &totals)?;
    if status != Status::Draft {
        store::add_event(tx.conn(), id, "reopened", tx.actor().user_id, "")?;
    }
    let old_summary: Vec<String> = old_lines.iter().map(|l| l.draft().summary()).collect();
    let old_notes = old.notes.clone();
    tx.audit(
        Event::new("quote.update")
            .entity("quote", id)
            .change("status", old.status, Status::Draft.as_str())
            .change(
                "discount",
                Percent::from_hundredths(old.discount).to_string(),
                draft.discount.to_string(),
            )
            .change("valid_until", old.valid_until, draft.valid_until.clone())
            .change("notes", old_notes, draft.notes.clone())
            .change("lines", old_summary.join("; "), draft.summary())
            .change(
                "total",
                Money::from_minor(old.total).plain(),
                totals.total.plain(),
            ),
    )?;
    Ok(())
}
