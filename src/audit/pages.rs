//! The audit log browser for administrators: filters and keyset pages, newest first.

use super::store::{self, Filter};
use crate::auth::Permission;
use crate::crm::users::store as users;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, TimeZone};
use minijinja::context;
use serde::{Deserialize, Serialize};

const PAGE_SIZE: usize = 50;

/// The filter form, as in the query string.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default, skip_serializing)]
    before: Option<i64>,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A local date's midnight in the company's time zone, as a stored UTC time.
fn day_start(date: &str, tz: chrono_tz::Tz, plus_days: i64) -> Option<String> {
    let d = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?
        + chrono::Duration::days(plus_days);
    let local = tz
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .earliest()?;
    Some(
        local
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
    )
}

impl AuditQuery {
    fn filter(&self, tz: chrono_tz::Tz) -> Filter {
        Filter {
            actor_id: match self.actor.as_str() {
                "system" => Some(0),
                a => a.parse().ok().filter(|id| *id > 0),
            },
            action: non_empty(&self.action),
            entity_type: non_empty(&self.entity_type),
            entity_id: non_empty(&self.entity_id),
            since: day_start(&self.from, tz, 0),
            until: day_start(&self.to, tz, 1),
            before_id: self.before,
        }
    }
}

/// `GET /admin/audit`.
pub async fn list(page: Page, q: web::Query<AuditQuery>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ViewAudit)?;
    let tz: chrono_tz::Tz = page
        .state
        .company()
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let filter = q.filter(tz);
    let (entries, more, actions, kinds, people) = page
        .state
        .db
        .read_heavy(move |c| {
            let (entries, more) = store::list(c, &filter, PAGE_SIZE)?;
            let people: Vec<(i64, String)> = users::list(c)?
                .into_iter()
                .map(|u| (u.id, u.email))
                .collect();
            Ok((
                entries,
                more,
                store::actions(c)?,
                store::entity_types(c)?,
                people,
            ))
        })
        .await?;
    let next = if more {
        entries.last().map(|last| {
            let mut params = serde_urlencoded::to_string(&*q).unwrap_or_default();
            params.push_str(&format!("&before={}", last.id));
            format!("/admin/audit?{params}")
        })
    } else {
        None
    };
    let rows = rows(&entries);
    page.render(
        "audit/list.html",
        context! {
            entries => rows, next, query => &*q, actions, kinds, people,
            paged => q.before.is_some(),
        },
    )
}

/// Entries with their changes parsed, as the audit table template shows them.
pub fn rows(entries: &[super::Entry]) -> Vec<minijinja::Value> {
    entries
        .iter()
        .map(|e| context! { changes => e.parsed_changes(), ..minijinja::Value::from_serialize(e) })
        .collect()
}
