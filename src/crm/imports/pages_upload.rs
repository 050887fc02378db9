//! `POST /imports`: the upload. The file is read at once, so a file that cannot be read
//! (wrong encoding, a sheet that is not there) is refused on the form it was sent from.

use super::pages::{authorize, blocking, offered, render_list, to_json};
use super::{Options, plan::Policy, store};
use crate::auth::CurrentUser;
use crate::auth::csrf::token_ok;
use crate::crm::records::Entity;
use crate::db::Db;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use minijinja::context;

/// Largest text field of the upload form; anything longer is dropped.
const TEXT_LIMIT: u64 = 4096;

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    entity: String,
    encoding: String,
    sheet: String,
    policy: String,
    file: Option<(String, Vec<u8>)>,
    /// The file was larger than allowed (and was dropped).
    over: bool,
}

/// Reads the multipart form; a file past `max` bytes is read to the end and dropped, so the
/// browser receives the 413 page instead of a reset connection.
async fn read_upload(mut payload: Multipart, max: u64) -> Result<Upload, AppError> {
    let unreadable = || AppError::invalid("file", "import.ui.upload_failed");
    let mut up = Upload::default();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(crate::crm::attachments::clean_filename);
        let limit = if filename.is_some() { max } else { TEXT_LIMIT };
        let (mut data, mut over) = (Vec::new(), false);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| unreadable())?;
            if over || (data.len() + chunk.len()) as u64 > limit {
                over = true;
                data.clear();
                continue;
            }
            data.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&data).trim().to_string();
        match (name.as_str(), filename) {
            ("file", Some(_)) if over => up.over = true,
            ("file", Some(f)) if !data.is_empty() => up.file = Some((f, data)),
            ("csrf", _) => up.csrf = text,
            ("entity", _) => up.entity = text,
            ("encoding", _) => up.encoding = text,
            ("sheet", _) => up.sheet = text,
            ("policy", _) => up.policy = text,
            _ => {}
        }
    }
    Ok(up)
}

/// The 413 page, naming the limit.
fn too_large(page: &Page, unread: bool) -> Result<HttpResponse, AppError> {
    let mb = page.state.config.api.import_max_megabytes;
    let message = page
        .tr("import.ui.too_large")
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

/// Why an uploaded file was not kept: the message key, and a workbook's sheets when the
/// sheet asked for is not there.
struct Unreadable {
    key: String,
    sheets: Vec<String>,
}

/// Reads the file and, if it can be read, keeps it with the mapping proposed for its columns.
fn keep(
    db: &Db,
    me: &CurrentUser,
    e: &'static Entity,
    (name, bytes): (String, Vec<u8>),
    options: &Options,
) -> Result<Result<i64, Unreadable>, AppError> {
    let table = match super::read_table(&bytes, &name, options) {
        Ok((table, _)) => table,
        Err(AppError::Validation { fields, .. }) => {
            let key = fields.into_values().next().unwrap_or_default();
            let sheets = match key.as_str() {
                "import.error.sheet" => super::read::read(&bytes, &name, &Default::default())
                    .map(|(_, info)| info.sheets)
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            return Ok(Err(Unreadable { key, sheets }));
        }
        Err(other) => return Err(other),
    };
    let headers = table.headers;
    let (mapping, offered) = db.read_blocking(|c| {
        let custom = crate::crm::fields::store::for_entity(c, e.table)?;
        let mapping = super::propose(c, e, &headers, &custom)?;
        Ok((mapping, offered(me, e, &custom)))
    })?;
    let mapping: Vec<Option<String>> = mapping
        .into_iter()
        .map(|m| m.filter(|k| offered.iter().any(|t| t.key == *k)))
        .collect();
    let (opts, map) = (to_json(options)?, to_json(&mapping)?);
    let (by, now) = (Some(me.id), crate::db::now());
    let id = db.bookkeeping_blocking(|c| {
        let id = store::insert(c, e.table, &name, &bytes, &opts, by, &now)?;
        store::set_choices(c, id, &opts, &map)?;
        Ok(id)
    })?;
    Ok(Ok(id))
}

/// `POST /imports` (multipart): the file, what to import it into, how to read it and what to
/// do with duplicates. A readable file is kept and the mapping step follows.
pub async fn upload(
    req: HttpRequest,
    page: Page,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let max = page.state.config.api.import_max_megabytes * 1024 * 1024;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Far beyond the limit: refuse without reading it.
    if declared.is_some_and(|n| n > max.saturating_mul(4).max(64 * 1024 * 1024)) {
        return too_large(&page, true);
    }
    let up = read_upload(payload, max).await?;
    if up.over {
        return too_large(&page, false);
    }
    if !token_ok(&req, Some(&up.csrf)) {
        return Err(AppError::Csrf);
    }
    let e = super::entity(&up.entity)
        .ok_or_else(|| AppError::invalid("entity", "import.ui.unknown_entity"))?;
    let policy = Policy::parse(&up.policy).unwrap_or(Policy::Skip);
    authorize(&me, e, policy)?;
    let input = context! {
        entity => e.table, encoding => up.encoding, sheet => up.sheet, policy => up.policy,
    };
    let Some(file) = up.file else {
        let error = context! { key => "import.ui.no_file" };
        return render_list(&page, input, Some(error)).await;
    };
    let options = Options {
        encoding: Some(up.encoding).filter(|s| !s.is_empty()),
        sheet: Some(up.sheet).filter(|s| !s.is_empty()),
        policy,
    };
    let db = page.state.db.clone();
    match blocking(move || keep(&db, &me, e, file, &options)).await? {
        Ok(id) => Ok(see_other(&format!("/imports/{id}"))),
        Err(Unreadable { key, sheets }) => {
            let error = context! { key, sheets => sheets.join(", ") };
            render_list(&page, input, Some(error)).await
        }
    }
}
