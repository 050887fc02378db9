//! Uploading, downloading and removing attachments.

use crate::auth::csrf::{Form, token_ok};
use crate::auth::{Action, Permission};
use crate::crm::records::pages::Params;
use crate::crm::records::{Entity, store as records};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// The 413 page, naming the limit.
fn too_large(page: &Page, unread: bool) -> Result<HttpResponse, AppError> {
    let mb = page.state.config.attachments.max_megabytes;
    let message = page
        .tr("attachment.too_large")
        .replace("{mb}", &mb.to_string());
    crate::web::upload::too_large(page, message, unread)
}

/// `POST /{entity}/{id}/attachments` (multipart): one file and the CSRF token.
pub async fn upload(
    e: &'static Entity,
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(e.area, Action::Edit)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let max = page.state.config.attachments.max_bytes();
    // Far beyond any sensible upload: refuse without reading it.
    if crate::web::upload::hopeless(&req, max) {
        return too_large(&page, true);
    }
    let fields = crate::web::upload::read(payload, max, "attachment.error.read").await?;
    if fields.iter().any(|f| f.over) {
        return too_large(&page, false);
    }
    let (mut csrf, mut file) = (String::new(), None::<(String, String, Vec<u8>)>);
    for f in fields {
        match (f.name.as_str(), &f.filename) {
            ("csrf", _) => csrf = f.text(),
            ("file", Some(name)) if !f.data.is_empty() => {
                file = Some((name.clone(), f.content_type, f.data));
            }
            _ => {}
        }
    }
    if !token_ok(&req, Some(&csrf)) {
        return Err(AppError::Csrf);
    }
    let Some((filename, content_type, data)) = file else {
        return Err(AppError::invalid("file", "attachment.error.empty"));
    };
    crate::crm::records::pages::live_record(&page, e, id, Action::Edit).await?;
    page.state
        .db
        .write(page.actor(), move |tx| {
            super::attach(tx, e, id, &filename, &content_type, &data)
        })
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=attachment_added",
        e.table
    )))
}

/// Types a browser may show inline without risk; everything else downloads as bytes.
fn served_type(stored: &str) -> &str {
    match stored {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf"
        | "text/plain" => stored,
        _ => "application/octet-stream",
    }
}

/// `GET /attachments/{id}`: only for users who may see the record it belongs to.
pub async fn download(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (meta, data) = page
        .state
        .db
        .read(move |c| Ok(super::store::get(c, id)?))
        .await?;
    let e: &'static Entity =
        crate::crm::records::entity_by_code(meta.kind).ok_or(AppError::NotFound)?;
    me.require_level(e.area, Action::View)?;
    let record_id = meta.record_id;
    let rec = page
        .state
        .db
        .read(move |c| Ok(records::get(c, e, record_id)?))
        .await?;
    if rec.deleted_at.is_some() && !me.can(Permission::ManageTrash) {
        return Err(AppError::NotFound);
    }
    if !page
        .scope(e.area, Action::View)
        .await?
        .allows_record(rec.owner(), rec.id)
    {
        return Err(AppError::NotFound);
    }
    let ascii: String = meta
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(&meta.filename, percent_encoding::NON_ALPHANUMERIC);
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            served_type(&meta.content_type).to_string(),
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(data))
}

/// `POST /attachments/{id}/delete`.
pub async fn delete(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    // Only on a record inside the user's edit scope.
    let meta = page
        .state
        .db
        .read(move |c| Ok(super::store::get(c, id)?.0))
        .await?;
    let e: &'static Entity =
        crate::crm::records::entity_by_code(meta.kind).ok_or(AppError::NotFound)?;
    crate::crm::records::pages::live_record(&page, e, meta.record_id, Action::Edit).await?;
    let (kind, record) = page
        .state
        .db
        .write(page.actor(), move |tx| super::remove(tx, id))
        .await?;
    let table = crate::crm::records::entity_by_code(kind).map_or("companies", |e| e.table);
    Ok(see_other(&format!(
        "/{table}/{record}?notice=attachment_removed"
    )))
}
