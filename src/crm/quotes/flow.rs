//! A quote's status changes: submit for approval, approve or reject, send, and the
//! customer's answer. Each is one audited write that also records the step in the quote's
//! history and, where someone must act or learn of a decision, notifies them in-app.

use super::Status;
use super::calc::{Largest, Percent};
use super::store::{self, Line, Quote};
use crate::audit::Event;
use crate::crm::notifications::notify;
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;

/// Longest approval comment, in characters.
const MAX_COMMENT: usize = 1000;

/// The largest effective discount of a stored quote (see [`Largest`]).
pub fn largest(quote: &Quote, lines: &[Line]) -> Largest {
    Largest::of(
        lines.iter().map(|l| Percent::from_hundredths(l.discount)),
        Percent::from_hundredths(quote.discount),
    )
}

/// Whether the quote's largest effective discount is above the company's threshold, so it
/// must be approved before it is sent.
pub fn needs_approval(conn: &Connection, quote: &Quote, lines: &[Line]) -> rusqlite::Result<bool> {
    Ok(largest(quote, lines).exceeds(store::threshold(conn)?))
}

fn load(tx: &Tx<'_>, id: i64) -> Result<(Quote, Status, Vec<Line>), AppError> {
    let q = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let status = Status::parse(&q.status).unwrap_or(Status::Draft);
    let lines = store::lines(tx.conn(), id)?;
    Ok((q, status, lines))
}

/// The step is not possible from where the quote stands (someone else moved it meanwhile,
/// or the page was stale).
fn wrong_state() -> AppError {
    AppError::Conflict("quote.error.state".into())
}

fn step(
    tx: &mut Tx<'_>,
    q: &Quote,
    from: Status,
    to: Status,
    approver: Option<i64>,
    comment: &str,
) -> Result<(), AppError> {
    if store::set_status(tx.conn(), q.id, from.as_str(), to.as_str(), approver)? == 0 {
        return Err(wrong_state());
    }
    let event = match to {
        Status::Pending => "submitted",
        other => other.as_str(),
    };
    store::add_event(tx.conn(), q.id, event, tx.actor().user_id, comment)?;
    Ok(())
}

fn params(q: &Quote) -> serde_json::Value {
    serde_json::json!({ "number": q.number, "deal": q.deal_name })
}

/// Asks the owner's manager to approve a draft whose discount is above the threshold, and
/// notifies them. Without an active manager, an administrator approves it.
pub fn submit(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    let (q, status, lines) = load(tx, id)?;
    if status != Status::Draft {
        return Err(wrong_state());
    }
    if lines.is_empty() {
        return Err(AppError::Conflict("quote.error.no_lines".into()));
    }
    if !needs_approval(tx.conn(), &q, &lines)? {
        return Err(AppError::Conflict("quote.error.no_approval_needed".into()));
    }
    let approver = match q.owner_id {
        Some(owner) => store::active_manager(tx.conn(), owner)?,
        None => None,
    };
    step(tx, &q, status, Status::Pending, approver, "")?;
    if let Some(manager) = approver {
        notify(
            tx,
            manager,
            "quote_approval",
            &params(&q),
            &format!("/quotes/{id}"),
        )?;
    }
    tx.audit(
        Event::new("quote.submit")
            .entity("quote", id)
            .change("status", q.status, Status::Pending.as_str())
            .change("approver_id", q.approver_id, approver),
    )?;
    Ok(())
}

/// Approves or rejects a pending quote. Only the manager it was sent to, or an
/// administrator (`by_admin`), may decide; a rejection needs a comment. The owner is told.
pub fn decide(
    tx: &mut Tx<'_>,
    id: i64,
    approve: bool,
    comment: &str,
    by_admin: bool,
) -> Result<(), AppError> {
    let (q, status, _) = load(tx, id)?;
    let me = tx.actor().user_id;
    if !by_admin && (me.is_none() || me != q.approver_id) {
        return Err(AppError::Forbidden);
    }
    if status != Status::Pending {
        return Err(wrong_state());
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT || (!approve && comment.is_empty()) {
        return Err(AppError::invalid("comment", "quote.error.comment"));
    }
    let (to, kind, action) = if approve {
        (Status::Approved, "quote_approved", "quote.approve")
    } else {
        (Status::Rejected, "quote_rejected", "quote.reject")
    };
    step(tx, &q, status, to, None, comment)?;
    if let Some(owner) = q.owner_id.filter(|o| Some(*o) != me) {
        notify(tx, owner, kind, &params(&q), &format!("/quotes/{id}"))?;
    }
    tx.audit(
        Event::new(action)
            .entity("quote", id)
            .change("status", q.status, to.as_str())
            .change("comment", None::<String>, comment),
    )?;
    Ok(())
}

/// Marks a quote as sent to the customer: an approved one, or a draft that needs no
/// approval. From then on its lines are fixed.
pub fn send(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    let (q, status, lines) = load(tx, id)?;
    match status {
        Status::Approved => {}
        Status::Draft if lines.is_empty() => {
            return Err(AppError::Conflict("quote.error.no_lines".into()));
        }
        Status::Draft if needs_approval(tx.conn(), &q, &lines)? => {
            return Err(AppError::Conflict("quote.error.needs_approval".into()));
        }
        Status::Draft => {}
        _ => return Err(wrong_state()),
    }
    step(tx, &q, status, Status::Sent, None, "")?;
    tx.audit(Event::new("quote.send").entity("quote", id).change(
        "status",
        q.status,
        Status::Sent.as_str(),
    ))?;
    Ok(())
}

/// Records the customer's answer to a sent quote.
pub fn close(tx: &mut Tx<'_>, id: i64, accepted: bool) -> Result<(), AppError> {
    let (q, status, _) = load(tx, id)?;
    if status != Status::Sent {
        return Err(wrong_state());
    }
    let to = if accepted {
        Status::Accepted
    } else {
        Status::Declined
    };
    step(tx, &q, status, to, None, "")?;
    tx.audit(
        Event::new(if accepted {
            "quote.accept"
        } else {
            "quote.decline"
        })
        .entity("quote", id)
        .change("status", q.status, to.as_str()),
    )?;
    Ok(())
}

/// Sets the discount above which quotes need approval (a company setting).
pub fn set_threshold(tx: &mut Tx<'_>, threshold: Percent) -> Result<(), AppError> {
    let old = store::threshold(tx.conn())?;
    if store::set_threshold(tx.conn(), threshold)? == 0 {
        return Err(AppError::NotFound);
    }
    tx.audit(
        Event::new("settings.update")
            .entity("company_profile", 1)
            .change(
                "quote_approval_threshold",
                old.to_string(),
                threshold.to_string(),
            ),
    )?;
    Ok(())
}
