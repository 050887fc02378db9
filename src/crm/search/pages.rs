//! `GET /search?q=`: the results page behind the search box in the top bar.

use crate::auth::Permission;
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
    page.user()?.require(Permission::ViewRecords)?;
    let query: String = q.q.chars().take(100).collect();
    let term = query.clone();
    let scope = page.scope().await?;
    let hits = page
        .state
        .db
        .read(move |c| Ok(super::store::search(c, &term, LIMIT, scope.owners())?))
        .await?;
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
