//! Reading multipart uploads (attachments, import files) within a size limit, and the 413
//! page that names the limit.

use super::page::Page;
use crate::error::AppError;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use minijinja::context;

/// Largest text field of an upload form; anything longer is dropped.
const TEXT_LIMIT: u64 = 4096;

/// One field of a multipart form.
pub struct Field {
    /// The field's name.
    pub name: String,
    /// The file's cleaned name, for a file field.
    pub filename: Option<String>,
    /// The declared content type (`application/octet-stream` when none).
    pub content_type: String,
    /// The content; empty when it was over its limit.
    pub data: Vec<u8>,
    /// The content was larger than allowed and was dropped.
    pub over: bool,
}

impl Field {
    /// A text field's value, trimmed.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).trim().to_string()
    }
}

/// Whether a request declares a body so far beyond `max` that it should be refused unread.
pub fn hopeless(req: &HttpRequest, max: u64) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > max.saturating_mul(4).max(64 * 1024 * 1024))
}

/// Reads every field; files may hold `max` bytes, text fields a few KiB. Content past a
/// limit is read to the end and dropped, so the browser receives the 413 page instead of a
/// reset connection. A broken stream is a validation error with `error_key`.
pub async fn read(
    mut payload: Multipart,
    max: u64,
    error_key: &str,
) -> Result<Vec<Field>, AppError> {
    let broken = || AppError::invalid("file", error_key);
    let mut fields = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| broken())?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(crate::crm::attachments::clean_filename);
        let content_type = field.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |m| m.essence_str().to_string(),
        );
        let limit = if filename.is_some() { max } else { TEXT_LIMIT };
        let (mut data, mut over) = (Vec::new(), false);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| broken())?;
            if over || (data.len() + chunk.len()) as u64 > limit {
                over = true;
                data.clear();
                continue;
            }
            data.extend_from_slice(&chunk);
        }
        fields.push(Field {
            name,
            filename,
            content_type,
            data,
            over,
        });
    }
    Ok(fields)
}

/// The 413 page with `message`; `unread` when the body was not read, so the connection
/// cannot carry another request.
pub fn too_large(page: &Page, message: String, unread: bool) -> Result<HttpResponse, AppError> {
    let html = page.state.templates.render(
        "errors/error.html",
        context! { status => 413, code => "payload_too_large", message, request_id => page.request_id, ..page.context() },
    )?;
    let mut res = HttpResponse::build(StatusCode::PAYLOAD_TOO_LARGE)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html);
    if unread {
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res)
}
