//! The in-app notification centre: reminders, alerts and requests for a user land here.
//! A notification is written in the same transaction as the change that caused it, so an
//! alert is never sent for a change that was rolled back, nor lost for one that was kept.
//!
//! Reading one is different: whether a user has opened their own notification is that
//! user's bookkeeping, like a session's last activity. It changes no business record and
//! nobody else ever sees it, so marking read is not audited and goes through
//! [`Db::bookkeeping_blocking`] instead of the audited write path. (Auditing it would put
//! one audit entry per click in the log and drown the changes the log is there for.)

pub mod jobs;
pub mod pages;
pub mod store;

use crate::db::{Db, Tx};
use crate::error::AppError;
use crate::web::i18n::{self, Lang};
use serde::Serialize;
use serde_json::Value;

/// A task assigned to the recipient is due today or overdue.
pub const TASK_DUE: &str = "task_due";
/// A deal the recipient owns has had no follow-up for longer than its stage allows.
pub const DEAL_STALLED: &str = "deal_stalled";
/// A deal owned by someone the recipient manages has stalled.
pub const DEAL_STALLED_TEAM: &str = "deal_stalled_team";
/// Every kind this module sends (each needs `notification.<kind>` in both catalogs).
pub const KINDS: &[&str] = &[TASK_DUE, DEAL_STALLED, DEAL_STALLED_TEAM];

/// The header counts unread notifications up to this many and shows "99+" beyond.
pub const BADGE_CAP: i64 = 100;

/// Tells `user` about something: `kind` names the message (`notification.<kind>` in the
/// catalogs, filled in from `params`), `link` is where it leads.
pub fn notify(
    tx: &mut Tx<'_>,
    user: i64,
    kind: &str,
    params: &Value,
    link: &str,
) -> Result<i64, AppError> {
    Ok(store::insert(tx.conn(), user, kind, params, link)?)
}

/// A notification as the centre shows it, its message in the reader's language.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Id.
    pub id: i64,
    /// The message, plain text (the template escapes it).
    pub message: String,
    /// When it was sent (UTC).
    pub created_at: String,
    /// Not opened yet.
    pub unread: bool,
}

impl Notification {
    /// Puts a stored notification into words for `lang`.
    pub fn new(lang: Lang, stored: store::Stored) -> Notification {
        Notification {
            id: stored.id,
            message: message(lang, &stored.kind, &stored.params),
            created_at: stored.created_at,
            unread: stored.read_at.is_none(),
        }
    }
}

/// The message of a notification: `notification.<kind>` with each `{name}` replaced by
/// the parameter of that name. A kind the catalog does not know (sent by a newer version,
/// say) gets a neutral sentence rather than a raw key.
pub fn message(lang: Lang, kind: &str, params: &str) -> String {
    let key = format!("notification.{kind}");
    let template = if i18n::has(Lang::En, &key) {
        lang.tr(&key)
    } else {
        lang.tr("notification.ui.unknown")
    };
    let params: serde_json::Map<String, Value> = serde_json::from_str(params).unwrap_or_default();
    fill(&template, &params)
}

/// Replaces `{name}` placeholders in one pass, so a value that itself contains braces
/// (a deal called "{stage}") is shown as typed and never filled in again.
fn fill(template: &str, params: &serde_json::Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_end = after.find('}');
        let value = name_end.and_then(|end| params.get(&after[..end]));
        match (name_end, value) {
            (Some(end), Some(v)) => {
                match v {
                    Value::String(s) => out.push_str(s),
                    Value::Null => {}
                    other => out.push_str(&other.to_string()),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The signed-in user's unread count for the header bell, capped at [`BADGE_CAP`]; `None`
/// when there is nothing unread. One count over the partial `notifications_unread` index,
/// remembered until the next change (a new notification is written through the write path,
/// marking read calls [`Db::forget_memos`]); a failure only hides the badge, it never fails
/// the page.
pub fn unread_badge(db: &Db, user: i64) -> Option<i64> {
    let count = db.memo_for(("notifications", "unread"), user, |c| {
        store::unread_count(c, user, BADGE_CAP)
    });
    match count.map(|n| *n) {
        Ok(0) => None,
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(user.id = user, "Could not count unread notifications: {e}");
            None
        }
    }
}

/// Runs bookkeeping on the writer off the async threads.
async fn bookkeeping<T: Send + 'static>(
    db: &Db,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    let db = db.clone();
    actix_web::web::block(move || {
        let done = db.bookkeeping_blocking(f);
        // The header's unread count is remembered until the next change.
        db.forget_memos();
        done
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
}

/// Marks `user`'s notification `id` read and returns where it leads (`None`: nowhere in
/// particular). Someone else's notification is not found. Not audited: see the module docs.
pub async fn open(db: &Db, user: i64, id: i64) -> Result<Option<String>, AppError> {
    let now = crate::db::now();
    bookkeeping(db, move |c| store::mark_read(c, user, id, &now))
        .await?
        .ok_or(AppError::NotFound)
}

/// Marks all of `user`'s notifications read. Not audited: see the module docs.
pub async fn read_all(db: &Db, user: i64) -> Result<usize, AppError> {
    let now = crate::db::now();
    bookkeeping(db, move |c| store::mark_all_read(c, user, &now)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_has_a_message_in_both_languages() {
        for kind in KINDS {
            for lang in Lang::ALL {
                let key = format!("notification.{kind}");
                assert!(i18n::has(lang, &key), "{key} missing in {}", lang.code());
            }
        }
        assert!(i18n::has(Lang::ZhCn, "notification.ui.unknown"));
    }

    #[test]
    fn a_message_is_filled_from_its_parameters() {
        let params = json!({"deal": "华为云扩容", "stage": "谈判", "days": 7}).to_string();
        let text = message(Lang::ZhCn, DEAL_STALLED, &params);
        assert!(text.contains("华为云扩容"), "{text}");
        assert!(text.contains("谈判"), "{text}");
        assert!(text.contains('7'), "{text}");
        assert!(!text.contains('{'), "{text}");
    }

    #[test]
    fn a_value_with_braces_is_not_filled_in_again() {
        let params = json!({"a": "{b}", "b": "x"});
        let map = params.as_object().unwrap();
        assert_eq!(fill("{a} and {b}", map), "{b} and x");
        assert_eq!(fill("{missing} {", map), "{missing} {");
        assert_eq!(fill("价格 {b}", map), "价格 x");
    }

    #[test]
    fn an_unknown_kind_or_broken_parameters_still_read_as_a_sentence() {
        let text = message(Lang::En, "from_the_future", "not json");
        assert_eq!(text, Lang::En.tr("notification.ui.unknown"));
        let text = message(Lang::En, TASK_DUE, "not json");
        assert!(!text.is_empty());
    }
}
