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
use actix_web::{HttpRequest, HttpResponse};
use minijinja::context;

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    entity: String,
    encoding: String,
    sheet: String,
    policy: String,
    file: Option<(String, Vec<u8>)>,
    /// A field was larger than allowed (and was dropped).
    over: bool,
}

/// Reads the multipart form.
async fn read_upload(payload: Multipart, max: u64) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    for f in crate::web::upload::read(payload, max, "import.ui.upload_failed").await? {
        up.over |= f.over;
        let text = f.text();
        match (f.name.as_str(), f.filename) {
            ("file", Some(name)) if !f.data.is_empty() => up.file = Some((name, f.data)),
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
    crate::web::upload::too_large(page, message, unread)
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
    // Far beyond the limit: refuse without reading it.
    if crate::web::upload::hopeless(&req, max) {
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
