//! `GET /search?q=`: the results page behind the search box in the top bar.

use super::store::Reach;
use crate::auth::{Action, Level};
use crate::crm::records;
use crate::crm::{companies::COMPANIES, contacts::CONTACTS};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Deserialize;

const LIMIT: usize = 40;

/// The query string.
#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Renders the matches, companies and contacts together, best first.
pub async fn search(page: Page, q: web::Query<SearchQuery>) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    if [COMPANIES.area, CONTACTS.area]
        .iter()
        .all(|a| me.level(*a, Action::View) == Level::None)
    {
        return Err(AppError::Forbidden);
    }
    let query: String = q.q.chars().take(100).collect();
    let term = query.clone();
    let me_id = me.id;
    let reach = Reach {
        companies: page.scope(COMPANIES.area, Action::View).await?,
        contacts: page.scope(CONTACTS.area, Action::View).await?,
    };
    // A rep's record ids are read once and kept until the next change (or a moment), not
    // again for every search.
    let db = page.state.db.clone();
    let hits = page
        .state
        .db
        .read(move |c| {
            let ids = db.memo_for_in(c, ("search", "reach"), me_id, |c| {
                super::store::reach_ids(c, &reach)
            })?;
            Ok(super::store::search(
                c,
                &term,
                LIMIT,
                &reach,
                ids.as_ref().as_ref(),
            )?)
        })
        .await?;
    // Fields the user may not see are blanked, and a record found only through them is
    // left out: a search never tells what a hidden field holds.
    let hits: Vec<_> = hits
        .into_iter()
        .filter_map(|(e, mut r)| {
            let rules = me.access.rules(e.area);
            if rules.is_empty() {
                return Some((e, r));
            }
            records::redact_record(e, &rules, &mut r);
            let (words, digits) = super::record_text(e, &r);
            super::matches(&query, &words, &digits).then_some((e, r))
        })
        .collect();
    let results: Vec<Value> = hits
        .iter()
        .map(|(e, r)| {
            let phone = ["mobile", "phone"]
                .iter()
                .find_map(|f| r.values.get(*f).and_then(|v| v.as_str()))
                .and_then(|p| crate::domain::phone::Phone::parse(p).ok())
                .map(|p| p.display());
            context! {
                entity => e.table, id => r.id, name => r.values.get("name"),
                company => r.company_name, company_id => r.values.get("company_id"),
                email => r.values.get("email"), phone, status => r.values.get("status"),
                owner => r.owner_name,
            }
        })
        .collect();
    page.render(
        "search/results.html",
        context! { q => query, results, limit => LIMIT },
    )
}
