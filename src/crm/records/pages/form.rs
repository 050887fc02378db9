//! Creating and editing records, with duplicate warnings and version conflicts.

use super::super::store::{self, Record};
use super::super::{Entity, FieldErrors, Kind, Values};
use super::*;
use crate::auth::csrf::Form;
use crate::auth::{Action, FieldRule};
use crate::crm::users::store as users;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde_json::{Value as Json, json};
use std::collections::HashMap;

/// A stored record as form inputs (what an edit form starts from).
pub fn form_values(
    e: &Entity,
    rec: &Record,
    custom: &[crate::crm::fields::CustomField],
) -> HashMap<String, String> {
    let stored = rec.values.get("custom").cloned().unwrap_or(Json::Null);
    let mut out: HashMap<String, String> = e
        .fields
        .iter()
        .map(|f| {
            let v = match f.kind {
                Kind::Money => rec
                    .values
                    .get(f.name)
                    .and_then(Json::as_i64)
                    .map(|m| crate::domain::Money::from_minor(m).plain())
                    .unwrap_or_default(),
                Kind::User | Kind::Industry | Kind::Stage => rec
                    .values
                    .get(f.name)
                    .and_then(Json::as_i64)
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
                _ => display(e, rec, f.name),
            };
            (f.name.to_string(), v)
        })
        .collect();
    out.extend(crate::crm::fields::form_values(custom, &stored));
    out
}

struct FormPage<'a> {
    entity: &'static Entity,
    input: &'a Params,
    errors: FieldErrors,
    record: Option<Value>,
    version: Option<i64>,
    duplicates: Vec<Value>,
    conflict: Option<Value>,
}

async fn render_form(page: &Page, f: FormPage<'_>, fresh: bool) -> Result<HttpResponse, AppError> {
    let table = f.entity.table;
    let rules = page.user()?.access.rules(f.entity.area);
    let (custom_fields, (required, industries)) = page
        .state
        .db
        .read(move |c| {
            Ok((
                crate::crm::fields::store::for_entity(c, table)?,
                (
                    crate::crm::fields::store::required(c, table)?,
                    crate::crm::industries::tree(c)?,
                ),
            ))
        })
        .await?;
    let rule = |k: &str| rules.get(&format!("custom.{k}")).copied();
    let custom_readonly: Vec<&str> = custom_fields
        .iter()
        .filter(|c| rule(&c.key) == Some(FieldRule::ReadOnly))
        .map(|c| c.key.as_str())
        .collect();
    let custom_fields: Vec<_> = custom_fields
        .iter()
        .filter(|c| rule(&c.key) != Some(FieldRule::Hidden))
        .collect();
    let staged = f.entity.fields.iter().any(|x| x.kind == Kind::Stage);
    let (stages, (pipelines, reasons)) = if staged {
        page.state
            .db
            .read(|c| {
                use crate::crm::deals::store as deals;
                Ok((
                    deals::all_stages(c)?,
                    (deals::pipelines(c)?, deals::lost_reasons(c)?),
                ))
            })
            .await?
    } else {
        Default::default()
    };
    let ctx = context! {
        stages, pipelines, reasons,
        entity => f.entity.table, fields => visible_fields(f.entity, &rules), custom_readonly, input => f.input, errors => f.errors, custom_fields, required, industries,
        record => f.record, version => f.version, duplicates => f.duplicates, conflict => f.conflict,
        owners => owners(page).await?.list.clone(), editing => f.version.is_some(),
    };
    page.render_form("records/form.html", ctx, fresh)
}

/// `GET /{entity}/new`.
pub async fn new_form(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(e.area, Action::Create)?;
    let mut input: Params = q.into_inner();
    if let Some(Kind::Select(o)) = e.field("status").map(|f| f.kind) {
        input
            .entry("status".into())
            .or_insert_with(|| o.first().copied().unwrap_or_default().into());
    }
    input
        .entry("owner_id".into())
        .or_insert_with(|| me.id.to_string());
    if e.field("currency").is_some() {
        input
            .entry("currency".into())
            .or_insert_with(|| page.state.currency());
    }
    if e.field("stage_id").is_some() && !input.contains_key("stage_id") {
        let wanted: Option<i64> = input.get("pipeline").and_then(|p| p.parse().ok());
        let first = page
            .state
            .db
            .read(move |c| {
                let stages = crate::crm::deals::store::all_stages(c)?;
                Ok(stages
                    .iter()
                    .find(|s| wanted.is_none_or(|w| s.pipeline_id == w))
                    .map(|s| s.id))
            })
            .await?;
        if let Some(stage) = first {
            input.insert("stage_id".into(), stage.to_string());
        }
    }
    let f = FormPage {
        entity: e,
        input: &input,
        errors: FieldErrors::new(),
        record: None,
        version: None,
        duplicates: vec![],
        conflict: None,
    };
    render_form(&page, f, true).await
}

/// Names and ids in a form, looked up in the database; with `pending`, the company
/// named [`PENDING_COMPANY`] is one about to be created in the same write (id 0 until then).
struct DbLookup<'c>(&'c rusqlite::Connection, bool);

/// The database lookups a form needs; with `pending`, the company named [`PENDING_COMPANY`]
/// resolves to id 0 (one about to be created in the same write).
pub fn lookup(conn: &rusqlite::Connection, pending: bool) -> impl super::super::Lookup + '_ {
    DbLookup(conn, pending)
}

/// How a form names the company a lead conversion is about to create.
pub const PENDING_COMPANY: &str = "\u{0}pending";

impl super::super::Lookup for DbLookup<'_> {
    fn company(&self, name: &str) -> Option<i64> {
        if self.1 && name == PENDING_COMPANY {
            return Some(0);
        }
        if let Some(id) = by_id(name) {
            return store::live_company(self.0, id).ok().flatten();
        }
        store::company_by_name(self.0, name).ok().flatten()
    }
    fn contact(&self, name: &str, company: Option<i64>) -> Option<i64> {
        if let Some(id) = by_id(name) {
            return store::live_contact(self.0, id, company).ok().flatten();
        }
        store::contact_by_name(self.0, name, company).ok().flatten()
    }
    fn user(&self, id: i64) -> bool {
        users::get(self.0, id).is_ok_and(|u| u.disabled_at.is_none())
    }
    fn industry(&self, id: i64) -> bool {
        crate::crm::industries::exists(self.0, id).unwrap_or(false)
    }
    fn stage(&self, id: i64) -> Option<(i64, bool)> {
        crate::crm::deals::store::stage(self.0, id)
            .ok()
            .flatten()
            .map(|s| (s.pipeline_id, s.outcome == "lost"))
    }
}

/// A company or contact named by id (`#12`), as the API and imports name them.
fn by_id(name: &str) -> Option<i64> {
    name.strip_prefix('#').and_then(|n| n.parse().ok())
}

/// Parses a submitted form under the user's field rules: a field they may not change is
/// neither validated nor taken from the request but kept as `stored` has it (or left at
/// its default on create).
pub async fn parse(
    page: &Page,
    e: &'static Entity,
    input: &Params,
    stored: Option<&Record>,
) -> Result<Result<Values, FieldErrors>, AppError> {
    parse_with(page, e, input, stored, false).await
}

/// Like [`parse`] for a new record of a company that is about to be created, named
/// [`PENDING_COMPANY`] in the form; its `company_id` comes out as 0 for the caller to set.
pub async fn parse_for_pending_company(
    page: &Page,
    e: &'static Entity,
    input: &Params,
) -> Result<Result<Values, FieldErrors>, AppError> {
    let mut input = input.clone();
    input.insert("company_id".into(), PENDING_COMPANY.into());
    parse_with(page, e, &input, None, true).await
}

async fn parse_with(
    page: &Page,
    e: &'static Entity,
    input: &Params,
    stored: Option<&Record>,
    pending: bool,
) -> Result<Result<Values, FieldErrors>, AppError> {
    let mut input = input.clone();
    let rules = page.user()?.access.rules(e.area);
    let stored = stored.cloned();
    page.state
        .db
        .read(move |c| {
            let mut custom = crate::crm::fields::store::for_entity(c, e.table)?;
            custom.retain(|f| !rules.contains_key(&format!("custom.{}", f.key)));
            let mut required = crate::crm::fields::store::required(c, e.table)?;
            required.retain(|r| !rules.contains_key(r));
            let stored_input = stored.as_ref().map(|r| form_values(e, r, &[]));
            for f in e.fields.iter().filter(|f| rules.contains_key(f.name)) {
                let v = stored_input.as_ref().and_then(|s| s.get(f.name).cloned());
                match (v, f.kind) {
                    (Some(v), _) => input.insert(f.name.into(), v),
                    (None, Kind::Select(o)) if f.required => {
                        input.insert(f.name.into(), o.first().copied().unwrap_or_default().into())
                    }
                    (None, _) => input.remove(f.name),
                };
            }
            let parsed = super::super::parse(e, &input, &DbLookup(c, pending), &custom, &required);
            Ok(parsed.map(|mut values| {
                super::super::protect(e, &rules, &mut values, stored.as_ref().map(|r| &r.values));
                values
            }))
        })
        .await
}

/// A new record's owner must be inside the user's create scope.
pub async fn owner_allowed(
    page: &Page,
    e: &'static Entity,
    values: &Values,
) -> Result<bool, AppError> {
    let owner = values.get("owner_id").and_then(Json::as_i64);
    let me = page.user()?.id;
    Ok(page
        .scope(e.area, Action::Create)
        .await?
        .allows(Some(owner.unwrap_or(me))))
}

/// Records that look like a new record's `values`, as the duplicate warning shows them to
/// this user: one they may open by id, name, owner and the field it shares; one outside
/// their scope only by its owner and that field (`hidden`), never its contents. The form and
/// the API warn alike.
pub async fn known_duplicates(
    page: &Page,
    e: &'static Entity,
    values: &Values,
) -> Result<Vec<Json>, AppError> {
    let v = values.clone();
    let found = page
        .state
        .db
        .read(move |c| Ok(store::duplicates(c, e, &v, None)?))
        .await?;
    if found.is_empty() {
        return Ok(vec![]);
    }
    let scope = page.scope(e.area, Action::View).await?;
    Ok(found
        .into_iter()
        .map(|d| {
            if scope.allows_record(d.owner_id, d.id) {
                json!({"id": d.id, "name": d.name, "owner": d.owner_name, "matched": d.matched})
            } else {
                json!({"hidden": true, "owner": d.owner_name, "matched": d.matched})
            }
        })
        .collect())
}

/// `POST /{entity}/new`: validates, warns about duplicates until confirmed, creates.
pub async fn create(
    e: &'static Entity,
    page: Page,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(e.area, Action::Create)?;
    let parsed = match parse(&page, e, &input, None).await? {
        Ok(v) if !owner_allowed(&page, e, &v).await? => Err(FieldErrors::from([(
            "owner_id".into(),
            "record.error.owner_scope".into(),
        )])),
        other => other,
    };
    let values = match parsed {
        Ok(v) => v,
        Err(errors) => {
            let f = FormPage {
                entity: e,
                input: &input,
                errors,
                record: None,
                version: None,
                duplicates: vec![],
                conflict: None,
            };
            return render_form(&page, f, false).await;
        }
    };
    if input.get("confirm_duplicate").is_none_or(|v| v != "1") {
        let duplicates = known_duplicates(&page, e, &values).await?;
        if !duplicates.is_empty() {
            let f = FormPage {
                entity: e,
                input: &input,
                errors: FieldErrors::new(),
                record: None,
                version: None,
                duplicates: duplicates.iter().map(Value::from_serialize).collect(),
                conflict: None,
            };
            return render_form(&page, f, false).await;
        }
    }
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| super::super::create(tx, e, &values))
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=record_created",
        e.table
    )))
}

/// `GET /{entity}/{id}/edit`.
pub async fn edit_form(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let mut rec = live_record(&page, e, id, Action::Edit).await?;
    let rules = page.user()?.access.rules(e.area);
    super::super::redact_record(e, &rules, &mut rec);
    let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    let input = form_values(e, &rec, &custom);
    let f = FormPage {
        entity: e,
        input: &input,
        errors: FieldErrors::new(),
        record: Some(view(e, &rec)),
        version: Some(rec.version),
        duplicates: vec![],
        conflict: None,
    };
    render_form(&page, f, true).await
}

/// `POST /{entity}/{id}/edit`: a save over a newer version shows what changed meanwhile and
/// keeps the user's input, ready to be saved again on top of the newer version.
pub async fn update(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let version: i64 = input
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let current = live_record(&page, e, id, Action::Edit).await?;
    let values = match parse(&page, e, &input, Some(&current)).await? {
        Ok(v) => v,
        Err(errors) => {
            let f = FormPage {
                entity: e,
                input: &input,
                errors,
                record: Some(view(e, &current)),
                version: Some(version),
                duplicates: vec![],
                conflict: None,
            };
            return render_form(&page, f, false).await;
        }
    };
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::update(tx, e, id, version, &values)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/{}/{id}?notice=saved", e.table))),
        Err(AppError::Conflict(_)) => {
            let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
            let rules = page.user()?.access.rules(e.area);
            let mut current = current;
            super::super::redact_record(e, &rules, &mut current);
            let theirs = form_values(e, &current, &custom);
            let changed: Vec<Value> = e
                .fields
                .iter()
                .filter(|f| !rules.contains_key(f.name))
                .filter(|f| theirs.get(f.name) != input.get(f.name).map(|s| s.trim().to_string()).as_ref())
                .map(|f| context! { name => f.name, theirs => theirs.get(f.name), yours => input.get(f.name) })
                .collect();
            let conflict = context! { by => current.updated_at.clone(), changed };
            let f = FormPage {
                entity: e,
                input: &input,
                errors: FieldErrors::new(),
                record: Some(view(e, &current)),
                version: Some(current.version),
                duplicates: vec![],
                conflict: Some(conflict),
            };
            let mut res = render_form(&page, f, false).await?;
            *res.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(res)
        }
        Err(other) => Err(other),
    }
}
