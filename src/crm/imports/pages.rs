//! The import pages: upload a file, match its columns to fields, check it (the dry run), run
//! it in the background with progress, download the rows that did not go in, undo it.
//!
//! This file holds the list and what the steps share; `pages_upload` the upload;
//! `pages_map` the mapping and the check; `pages_view` what the check and the error file say
//! about rows; `pages_run` running, progress, results and the error file; `pages_undo` undo.

use super::mapping::Target;
use super::{Options, plan::Policy, store};
use crate::auth::{Action, CurrentUser, Level};
use crate::crm::fields::CustomField;
use crate::crm::records::Entity;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde::Serialize;

/// The import routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::{pages_map as map, pages_run as run};
    cfg.route("/imports", web::get().to(list))
        .route("/imports", web::post().to(super::pages_upload::upload))
        .route("/imports/{id}", web::get().to(map::show))
        .route("/imports/{id}/preview", web::post().to(map::preview))
        .route("/imports/{id}/run", web::post().to(run::run))
        .route("/imports/{id}/errors.csv", web::get().to(run::errors))
        .route(
            "/imports/{id}/undo",
            web::post().to(super::pages_undo::undo),
        );
}

/// Imports shown on the list page.
const LIST_LIMIT: i64 = 100;
/// The encodings the upload form offers (empty: detect).
const ENCODINGS: [&str; 5] = ["", "utf-8", "utf-16le", "utf-16be", "gb18030"];

/// The kinds of record the user may import into: those their role lets them create.
pub(super) fn importable(me: &CurrentUser) -> Vec<&'static Entity> {
    let entities = crate::crm::api::record_entities().into_iter();
    entities
        .chain([&super::products::PRODUCTS])
        .filter(|e| me.level(e.area, Action::Create) != Level::None)
        .collect()
}

/// Whether rows of the user's imports may create the companies they name.
pub(super) fn may_create_companies(me: &CurrentUser) -> bool {
    me.level(crate::auth::Area::Companies, Action::Create) != Level::None
}

/// 403 unless the user may create records of `e` and, to update duplicates, edit them.
pub(super) fn authorize(me: &CurrentUser, e: &Entity, policy: Policy) -> Result<(), AppError> {
    me.require_level(e.area, Action::Create)?;
    if policy == Policy::Update {
        me.require_level(e.area, Action::Edit)?;
    }
    Ok(())
}

/// An import the user may see (their own; anyone's for an administrator) with its entity;
/// 404 for everything else, so other people's imports cannot be told apart from none.
pub(super) async fn visible(
    page: &Page,
    id: &str,
) -> Result<(store::ImportRow, &'static Entity), AppError> {
    let me = page.user()?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let row = page.state.db.read(move |c| Ok(store::get(c, id)?)).await?;
    if !me.admin && row.created_by != Some(me.id) {
        return Err(AppError::NotFound);
    }
    let e = super::entity(&row.entity).ok_or(AppError::NotFound)?;
    Ok((row, e))
}

/// The stored options of an import.
pub(super) fn options(row: &store::ImportRow) -> Options {
    serde_json::from_str(&row.options).unwrap_or_default()
}

/// The targets this user may map a column to: not a field their role hides or keeps
/// read-only, and not the owner unless they may create records for anyone (otherwise the
/// records go to them, as a record they create on a form would).
pub(super) fn offered(me: &CurrentUser, e: &Entity, custom: &[CustomField]) -> Vec<Target> {
    let rules = me.access.rules(e.area);
    let any_owner = me.level(e.area, Action::Create) == Level::All;
    super::targets(e, custom)
        .into_iter()
        .filter(|t| !rules.contains_key(&t.key) && (any_owner || t.key != "owner_id"))
        .collect()
}

/// A target as shown in a select: its key and its name in the page's language.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Choice {
    /// `name`, `custom.f1`, `tags`, …
    pub key: String,
    /// What the user calls it.
    pub label: String,
}

/// [`offered`] with labels.
pub(super) fn choices(
    page: &Page,
    me: &CurrentUser,
    e: &Entity,
    custom: &[CustomField],
) -> Vec<Choice> {
    offered(me, e, custom)
        .into_iter()
        .map(|t| Choice {
            label: label(page, custom, &t.key),
            key: t.key,
        })
        .collect()
}

/// The name of a field, custom field or the tags in the page's language.
pub(super) fn label(page: &Page, custom: &[CustomField], key: &str) -> String {
    match key.strip_prefix("custom.") {
        Some(k) => custom
            .iter()
            .find(|c| c.key == k)
            .map_or_else(|| key.to_string(), |c| c.label.clone()),
        None if key == "tags" => page.tr("export.tags"),
        None => page.tr(&format!("field.{key}")),
    }
}

/// Runs blocking work (reading a file, the writer lock) on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(f)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking pool: {e}")))?
}

/// `GET /imports?entity=…`: the user's imports (an administrator's: everyone's) and the
/// upload form, set to import into `entity` (a list page's Import button names its own).
pub async fn list(page: Page, q: web::Query<Params>) -> Result<HttpResponse, AppError> {
    page.user()?;
    let entity = q.get("entity").map_or("contacts", String::as_str);
    let input = context! { entity, encoding => "", sheet => "", policy => "skip" };
    render_list(&page, input, None).await
}

/// The list page, with the upload form filled with `input` and `error` shown above it
/// (then answered 422).
pub(super) async fn render_list(
    page: &Page,
    input: Value,
    error: Option<Value>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    let by = (!me.admin).then_some(me.id);
    let imports = page
        .state
        .db
        .read(move |c| Ok(store::list(c, by, LIST_LIMIT)?))
        .await?;
    let entities: Vec<&str> = importable(me).iter().map(|e| e.table).collect();
    let fresh = error.is_none();
    page.render_form(
        "imports/list.html",
        context! {
            imports, entities, input, error, encodings => ENCODINGS,
            max_mb => page.state.config.api.import_max_megabytes,
        },
        fresh,
    )
}

/// The JSON text of stored choices.
pub(super) fn to_json<T: Serialize + ?Sized>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.into()))
}
