//! Uploading, downloading and removing attachments.

use crate::auth::csrf::{Form, token_ok};
use crate::auth::{Action, Permission};
use crate::crm::records::pages::Params;
use crate::crm::records::{Entity, store as records};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use minijinja::context;

/// The 413 page, naming the limit.
fn too_large(page: &Page, unread: bool) -> Result<HttpResponse, AppError> {
    let mb = page.state.config.attachments.max_megabytes;
    let message = page
        .tr("attachment.too_large")
        .replace("{mb}", &mb.to_string());
    let html = page.state.templates.render(
        "errors/error.html",
        context! { status => 413, code => "payload_too_large", message, request_id => page.request_id, ..page.context() },
    )?;
    let mut res = HttpResponse::build(StatusCode::PAYLOAD_TOO_LARGE)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html);
    if unread {
        // The upload was not read, so this connection cannot carry another request.
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res)
}

/// `POST /{entity}/{id}/attachments` (multipart): one file and the CSRF token.
pub async fn upload(
    e: &'static Entity,
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    mut payload: Multipart,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(e.area, Action::Edit)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let max = page.state.config.attachments.max_bytes();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Far beyond any sensible upload: refuse without reading it.
    if declared.is_some_and(|n| n > 4 * 1024 * 1024 * 1024) {
        return too_large(&page, true);
    }
    let mut over = false;
    let (mut csrf, mut file) = (String::new(), None::<(String, String, Vec<u8>)>);
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| AppError::invalid("file", "attachment.error.read"))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(super::clean_filename);
        let content_type = field.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |m| m.essence_str().to_string(),
        );
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| AppError::invalid("file", "attachment.error.read"))?;
            // Past the limit the rest is read and dropped, so the browser receives the 413
            // page instead of a reset connection.
            if over || (data.len() + chunk.len()) as u64 > max {
                over = true;
                data.clear();
                continue;
            }
            data.extend_from_slice(&chunk);
        }
        match (name.as_str(), filename) {
            ("csrf", _) => csrf = String::from_utf8_lossy(&data).into_owned(),
            ("file", Some(f)) if !data.is_empty() => file = Some((f, content_type, data)),
            _ => {}
        }
    }
    if over {
        return too_large(&page, false);
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
