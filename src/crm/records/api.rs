//! The JSON API of every kind of record (`/api/v1/companies`, `contacts`, `leads`,
//! `deals`): list with filters, sort and cursor, read, create, change with `If-Match`, delete
//! to the trash. It goes through the same parsing, field rules, scopes and audited writes as
//! the pages, so a token can do exactly what its user can do in the browser.

use super::pages::{self, Params, live_record};
use super::store::{self, Record};
use super::{Entity, FieldErrors, Kind, Values};
use crate::auth::Action;
use crate::crm::fields::CustomField;
use crate::error::AppError;
use crate::web::api::{self, JsonObject, path_id, with_etag};
use crate::web::page::Page;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

/// Keys a client may send back as it read them; they are not fields and are ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "version",
    "created_at",
    "updated_at",
    "owner_name",
    "company_name",
    "contact_name",
    "stage_name",
    "industry_name",
    "pipeline_id",
];

/// A record as the API shows it to a user with these field rules.
pub fn to_json(e: &Entity, rec: &Record, rules: &super::rules::Rules) -> Value {
    let mut rec = rec.clone();
    super::redact_record(e, rules, &mut rec);
    let hidden = super::rules::hidden(rules);
    let mut out = Map::new();
    out.insert("id".into(), json!(rec.id));
    out.insert("version".into(), json!(rec.version));
    for f in e.fields {
        if hidden.iter().any(|h| h == f.name) {
            continue;
        }
        let v = rec.values.get(f.name).cloned().unwrap_or(Value::Null);
        let v = match (f.kind, v) {
            // Amounts as exact decimal text: a float would round them.
            (Kind::Money, Value::Number(n)) => n.as_i64().map_or(Value::Null, |m| {
                Value::String(crate::domain::Money::from_minor(m).plain())
            }),
            (_, v) => v,
        };
        out.insert(f.name.into(), v);
        let name = match f.kind {
            Kind::User => Some(("owner_name", &rec.owner_name)),
            Kind::Company => Some(("company_name", &rec.company_name)),
            Kind::Contact => Some(("contact_name", &rec.contact_name)),
            Kind::Stage => Some(("stage_name", &rec.stage_name)),
            Kind::Industry => Some(("industry_name", &rec.industry_name)),
            _ => None,
        };
        if let Some((key, value)) = name {
            out.insert(key.into(), json!(value));
        }
    }
    if let Some(p) = rec.values.get("pipeline_id") {
        out.insert("pipeline_id".into(), p.clone());
    }
    out.insert(
        "custom".into(),
        rec.values
            .get("custom")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or_else(|| json!({})),
    );
    out.insert("created_at".into(), json!(rec.created_at));
    out.insert("updated_at".into(), json!(rec.updated_at));
    Value::Object(out)
}

/// Puts a JSON body over form inputs (empty, or a stored record's): fields by name,
/// companies and contacts by id or by name, custom fields under `custom`. An unknown key is
/// an error naming it, so a typo is not silently dropped.
fn overlay(
    e: &Entity,
    body: &Map<String, Value>,
    custom: &[CustomField],
    input: &mut Params,
) -> Result<(), AppError> {
    for (key, value) in body {
        if READ_ONLY.contains(&key.as_str()) {
            continue;
        }
        if key == "custom" {
            let Value::Object(given) = value else {
                return Err(AppError::invalid("custom", "custom must be an object"));
            };
            for k in given.keys() {
                if !custom.iter().any(|f| &f.key == k) {
                    return Err(AppError::invalid(
                        &format!("custom.{k}"),
                        "no such custom field",
                    ));
                }
            }
            let changed: Vec<CustomField> = custom
                .iter()
                .filter(|f| given.contains_key(&f.key))
                .cloned()
                .collect();
            for f in &changed {
                let name = crate::crm::fields::input_name(&f.key);
                input.retain(|k, _| k != &name && !k.starts_with(&format!("{name}__")));
            }
            input.extend(crate::crm::fields::form_values(&changed, value));
            continue;
        }
        let Some(f) = e.field(key) else {
            return Err(AppError::invalid(key, "no such field"));
        };
        let text = match (f.kind, value) {
            (Kind::Company | Kind::Contact, Value::Number(n)) => format!("#{n}"),
            (_, Value::Object(_) | Value::Array(_)) => {
                return Err(AppError::invalid(key, "expected a single value"));
            }
            (_, v) => api::form_text(v),
        };
        input.insert(f.name.into(), text);
    }
    Ok(())
}

/// 403 unless the user may `action` some kind of record: what reading or making things that
/// hang off any kind of record (tags, follow-ups, tasks) needs at least.
pub fn require_any(page: &Page, action: Action) -> Result<(), AppError> {
    let me = page.user()?;
    let any = super::all()
        .iter()
        .any(|e| me.level(e.area, action) != crate::auth::Level::None);
    if any {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Field errors as the API names them (`custom.KEY`), in the request's language.
fn invalid(page: &Page, errors: FieldErrors) -> AppError {
    api::invalid(page, errors, |k| {
        k.strip_prefix("cf_")
            .map_or(k.to_string(), |c| format!("custom.{c}"))
    })
}

async fn reread(page: &Page, e: &'static Entity, id: i64) -> Result<Record, AppError> {
    page.state.db.read(move |c| Ok(store::get(c, e, id)?)).await
}

/// `GET /api/v1/{entity}`: `limit`, `cursor`, `sort` (`name`, `-updated_at`, …), `q` (name
/// contains) and filters by field (`status`, `owner_id`, `company_id`, `tag_id`,
/// `stage_id`, `source`, `city`, `custom.KEY`, …).
pub async fn list(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(e.area, Action::View)?;
    let rules = me.access.rules(e.area);
    let hidden = super::rules::hidden(&rules);
    let params = super::query::Params::new(&q, &hidden);
    let limit = api::limit(q.get("limit"))?;
    let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    let scope = page.scope(e.area, Action::View).await?;
    let mut query = params.query(e, &custom, &scope);
    if let Some(c) = q.get("cursor").filter(|c| !c.is_empty()) {
        query.after = Some(api::decode_cursor(c, query.sort, query.desc)?);
    }
    query.name_contains = params.get("q");
    let lq = query.clone();
    let (rows, more) = page
        .state
        .db
        .read(move |c| Ok(store::list(c, e, &lq, limit)?))
        .await?;
    let next = more.then(|| rows.last()).flatten().map(|last| {
        let (value, id) = super::query::position(last, query.sort);
        api::encode_cursor(query.sort, query.desc, &value, id)
    });
    let data = rows.iter().map(|r| to_json(e, r, &rules)).collect();
    Ok(api::page(data, next))
}

/// `GET /api/v1/{entity}/{id}`.
pub async fn get(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let rec = live_record(&page, e, path_id(&id)?, Action::View).await?;
    let rules = page.user()?.access.rules(e.area);
    Ok(with_etag(api::ok(to_json(e, &rec, &rules)), rec.version))
}

/// Whether the query of a create says to go ahead despite possible duplicates
/// (`allow_duplicate=true` or `1`).
fn allows_duplicate(q: &Params) -> bool {
    q.get("allow_duplicate")
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// 409 naming the records a new one looks like, as the create form warns about them; the
/// client repeats the request with `allow_duplicate=true` to create it anyway.
async fn refuse_duplicates(
    page: &Page,
    e: &'static Entity,
    values: &Values,
) -> Result<(), AppError> {
    let duplicates = pages::known_duplicates(page, e, values).await?;
    if duplicates.is_empty() {
        return Ok(());
    }
    Err(AppError::Duplicate {
        message: page.tr("api.duplicate"),
        duplicates,
    })
}

/// `POST /api/v1/{entity}`: refused with 409 when the record looks like ones on file,
/// unless `allow_duplicate=true`.
pub async fn create(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(e.area, Action::Create)?;
    let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    let mut input = Params::new();
    overlay(e, &body, &custom, &mut input)?;
    let first_stage = page
        .state
        .db
        .read(|c| {
            Ok(crate::crm::deals::store::all_stages(c)?
                .first()
                .map(|s| s.id))
        })
        .await?;
    super::fill_defaults(e, &mut input, &page.state.currency(), first_stage);
    let values = match pages::parse(&page, e, &input, None).await? {
        Ok(v) => v,
        Err(errors) => return Err(invalid(&page, errors)),
    };
    if !pages::owner_allowed(&page, e, &values).await? {
        let errors = FieldErrors::from([("owner_id".into(), "record.error.owner_scope".into())]);
        return Err(invalid(&page, errors));
    }
    if !allows_duplicate(&q) {
        refuse_duplicates(&page, e, &values).await?;
    }
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, e, &values))
        .await?;
    let rec = reread(&page, e, id).await?;
    let rules = page.user()?.access.rules(e.area);
    let res = api::created(
        &format!("/api/v1/{}/{id}", e.table),
        to_json(e, &rec, &rules),
    );
    Ok(with_etag(res, rec.version))
}

/// `PATCH /api/v1/{entity}/{id}`: the fields sent change, the others stay; refused with 412
/// when the record is no longer at the version in `If-Match`.
pub async fn patch(
    e: &'static Entity,
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    JsonObject(body): JsonObject,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    let current = live_record(&page, e, id, Action::Edit).await?;
    let version = api::version(&req, &body)?;
    let changed = || api::changed(version, current.version);
    if version != current.version {
        return Err(changed());
    }
    let custom = crate::crm::fields::definitions(&page.state.db, e.table).await?;
    let mut input = pages::form_values(e, &current, &custom);
    overlay(e, &body, &custom, &mut input)?;
    let values = match pages::parse(&page, e, &input, Some(&current)).await? {
        Ok(v) => v,
        Err(errors) => return Err(invalid(&page, errors)),
    };
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::update(tx, e, id, version, &values)
        })
        .await;
    match result {
        Ok(()) => {}
        Err(AppError::Conflict(m)) if m == "record.error.changed" => return Err(changed()),
        Err(other) => return Err(other),
    }
    let rec = reread(&page, e, id).await?;
    let rules = page.user()?.access.rules(e.area);
    Ok(with_etag(api::ok(to_json(e, &rec, &rules)), rec.version))
}

/// `DELETE /api/v1/{entity}/{id}`: to the trash.
pub async fn delete(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&id)?;
    live_record(&page, e, id, Action::Delete).await?;
    page.state
        .db
        .write(page.actor(), move |tx| super::soft_delete(tx, e, id))
        .await?;
    Ok(api::no_content())
}
