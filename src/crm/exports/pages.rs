//! `GET /{entity}/export?format=csv|xlsx&…filters`: the list as a file.

use super::{Columns, write::Format};
use crate::auth::Action;
use crate::crm::records::{Entity, pages::Params, query};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// The export of a list view with its filters, within the user's export scope and field
/// rules; audited with the row count and the filters.
pub async fn export(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(e.area, Action::Export)?;
    let format = Format::parse(q.get("format").map_or("csv", String::as_str))
        .ok_or_else(|| AppError::invalid("format", "export.error.format"))?;
    let hidden = crate::crm::records::rules::hidden(&me.access.rules(e.area));
    let scope = page.scope(e.area, Action::Export).await?;
    let params = q.into_inner();
    let lang = page.lang;
    let export = page
        .state
        .db
        .read_heavy(move |c| {
            let custom = crate::crm::fields::store::for_entity(c, e.table)?;
            let lq = query::Params::new(&params, &hidden).query(e, &custom, &scope);
            let cols = Columns {
                entity: e,
                hidden: &hidden,
                custom: &custom,
                lang,
            };
            Ok((super::build(c, &cols, &lq, format)?, params))
        })
        .await;
    let (export, params) = export?;
    let filters = crate::crm::views::clean_query(
        &serde_urlencoded::to_string(params.iter().collect::<Vec<_>>()).unwrap_or_default(),
    );
    let event = super::audit_event(e, format, &export, Some(filters));
    page.state
        .db
        .write(page.actor(), move |tx| tx.audit(event))
        .await?;
    let name = format!(
        "{}-{}.{}",
        e.table,
        chrono::Utc::now().format("%Y%m%d-%H%M"),
        format.extension()
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-export-rows", export.rows.to_string()))
        .body(export.bytes))
}
