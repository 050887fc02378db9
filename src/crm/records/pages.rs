//! HTML pages shared by every kind of customer record: list, view, create, edit, delete,
//! restore, purge. Routes pass the entity; see `server::routes`.

use super::store::{self, ListQuery, Record};
use super::{Entity, FieldErrors, Kind, Values};
use crate::audit::store as audit;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::followups::store as followups;
use crate::crm::followups::{ActivityInput, FieldErrors as FollowupErrors};
use crate::crm::users::store as users;
use crate::domain::phone::Phone;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde_json::Value as Json;
use std::collections::HashMap;

const PAGE_SIZE: usize = 50;

/// Form and query parameters as submitted.
pub type Params = HashMap<String, String>;

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text(_) => "text",
        Kind::LongText => "longtext",
        Kind::Email => "email",
        Kind::Phone => "phone",
        Kind::Select(_) => "select",
        Kind::User => "user",
        Kind::Company => "company",
        Kind::Industry => "industry",
    }
}

fn fields(e: &Entity) -> Vec<Value> {
    e.fields
        .iter()
        .map(|f| {
            let options: &[&str] = match f.kind {
                Kind::Select(o) => o,
                _ => &[],
            };
            context! { name => f.name, kind => kind_name(f.kind), required => f.required, list => f.list, options }
        })
        .collect()
}

/// One cell of a list row, ready to print: the template only lays it out.
#[derive(serde::Serialize)]
struct Cell {
    label: String,
    text: String,
    href: Option<String>,
    strong: bool,
    badge: Option<String>,
    nowrap: bool,
    tags: Vec<crate::crm::tags::store::Tag>,
}

/// A list row: built in Rust because fifty rows of per-cell template logic cost more than the
/// database work of the page.
#[derive(serde::Serialize)]
struct Row {
    id: i64,
    name: String,
    cells: Vec<Cell>,
    updated: String,
}

fn list_rows(
    page: &Page,
    e: &Entity,
    rows: &[Record],
    tags: &mut HashMap<i64, Vec<crate::crm::tags::store::Tag>>,
) -> Vec<Row> {
    let tz: chrono_tz::Tz = page
        .state
        .company()
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let columns: Vec<(&super::Field, String, HashMap<&str, String>)> = e
        .fields
        .iter()
        .filter(|f| f.list)
        .map(|f| {
            let options = match f.kind {
                Kind::Select(o) => o
                    .iter()
                    .map(|v| (*v, page.tr(&format!("record.{}.{v}", f.name))))
                    .collect(),
                _ => HashMap::new(),
            };
            (f, page.tr(&format!("field.{}", f.name)), options)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells = columns
                .iter()
                .map(|(f, label, options)| {
                    let text = display(e, r, f.name);
                    let mut cell = Cell {
                        label: label.clone(),
                        text,
                        href: None,
                        strong: false,
                        badge: None,
                        nowrap: f.kind == Kind::Phone,
                        tags: Vec::new(),
                    };
                    match f.kind {
                        _ if f.name == "name" => {
                            cell.href = Some(format!("/{}/{}", e.table, r.id));
                            cell.strong = true;
                            cell.tags = tags.remove(&r.id).unwrap_or_default();
                        }
                        Kind::Select(_) if !cell.text.is_empty() => {
                            cell.badge = Some(cell.text.clone());
                            cell.text =
                                options.get(cell.text.as_str()).cloned().unwrap_or_default();
                        }
                        Kind::User => cell.text = r.owner_name.clone().unwrap_or_default(),
                        Kind::Industry => cell.text = r.industry_name.clone().unwrap_or_default(),
                        Kind::Company => {
                            cell.href = r
                                .values
                                .get("company_id")
                                .and_then(Json::as_i64)
                                .map(|c| format!("/companies/{c}"));
                        }
                        _ => {}
                    }
                    cell
                })
                .collect();
            let updated = chrono::DateTime::parse_from_rfc3339(&r.updated_at)
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            Row {
                id: r.id,
                name: display(e, r, "name"),
                cells,
                updated,
            }
        })
        .collect()
}

/// The list columns with their labels and option labels translated once per page, not once
/// per cell.
fn columns(page: &Page, e: &Entity) -> Vec<Value> {
    e.fields
        .iter()
        .filter(|f| f.list)
        .map(|f| {
            let options: HashMap<&str, String> = match f.kind {
                Kind::Select(o) => o.iter().map(|v| (*v, page.tr(&format!("record.{}.{v}", f.name)))).collect(),
                _ => HashMap::new(),
            };
            context! { name => f.name, kind => kind_name(f.kind), label => page.tr(&format!("field.{}", f.name)), options }
        })
        .collect()
}

/// How a value is shown and put back into a form.
fn display(e: &Entity, rec: &Record, name: &str) -> String {
    let v = rec.values.get(name).cloned().unwrap_or(Json::Null);
    match (e.field(name).map(|f| f.kind), v) {
        (_, Json::Null) => String::new(),
        (Some(Kind::Phone), Json::String(s)) => Phone::parse(&s).map(|p| p.display()).unwrap_or(s),
        (Some(Kind::Company), _) => rec.company_name.clone().unwrap_or_default(),
        (Some(Kind::Industry), _) => rec.industry_name.clone().unwrap_or_default(),
        (_, Json::String(s)) => s,
        (_, other) => other.to_string(),
    }
}

/// A record as templates see it: raw values plus display strings.
fn view(e: &Entity, rec: &Record) -> Value {
    let shown: HashMap<&str, String> = e
        .fields
        .iter()
        .map(|f| (f.name, display(e, rec, f.name)))
        .collect();
    context! { shown, ..Value::from_serialize(rec) }
}

/// The owner choices as `<option>` markup, built once per page: with hundreds of users,
/// looping over them in the template (twice on a list page) cost more than the rest of it.
fn owner_options(owners: &[(i64, String)], selected: Option<&str>) -> Value {
    use std::fmt::Write;
    let mut html = String::with_capacity(owners.len() * 40);
    let selected: Option<i64> = selected.and_then(|s| s.parse().ok());
    for (id, name) in owners {
        let sel = if selected == Some(*id) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<option value=\"{id}\"{sel}>{}</option>",
            crate::web::escape_html(name)
        );
    }
    Value::from_safe_string(html)
}

async fn owners(page: &Page) -> Result<Vec<(i64, String)>, AppError> {
    page.state.db.read(|c| Ok(users::active_names(c)?)).await
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// `GET /{entity}`: filters, sort and keyset pages.
pub async fn list(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ViewRecords)?;
    let get = |k: &str| {
        q.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let sort_param = get("sort").unwrap_or_else(|| "-updated_at".into());
    let (desc, sort_name) = match sort_param.strip_prefix('-') {
        Some(s) => (true, s.to_string()),
        None => (false, sort_param.clone()),
    };
    let sort = e
        .sorts
        .iter()
        .find(|s| **s == sort_name)
        .copied()
        .unwrap_or("updated_at");
    let (custom_fields, industries) = page
        .state
        .db
        .read(move |c| {
            Ok((
                crate::crm::fields::store::for_entity(c, e.table)?,
                crate::crm::industries::tree(c)?,
            ))
        })
        .await?;
    let custom_filter: Vec<(String, String)> = custom_fields
        .iter()
        .filter_map(|f| get(&crate::crm::fields::input_name(&f.key)).map(|v| (f.key.clone(), v)))
        .collect();
    let field_filter: Vec<(String, String)> = ["source", "province", "city", "title"]
        .iter()
        .filter(|name| e.field(name).is_some())
        .filter_map(|name| get(name).map(|v| (name.to_string(), v)))
        .collect();
    let query = ListQuery {
        fields: field_filter,
        custom: custom_filter,
        status: get("status"),
        owner_id: get("owner").and_then(|o| o.parse().ok()),
        company_id: get("company").and_then(|o| o.parse().ok()),
        tag_id: get("tag").and_then(|o| o.parse().ok()),
        industry_id: get("industry").and_then(|o| o.parse().ok()),
        sort,
        desc,
        after: get("after_id")
            .and_then(|id| id.parse().ok())
            .map(|id| (get("after").unwrap_or_default(), id)),
    };
    let owners = owners(&page).await?;
    let lq = query.clone();
    let me = page.user()?.id;
    let (rows, more, mut tags, all_tags, views) = page
        .state
        .db
        .read(move |c| {
            let views = crate::crm::views::list(c, me, e.table)?;
            let (rows, more) = store::list(c, e, &lq, PAGE_SIZE)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let tags = crate::crm::tags::store::for_records(c, crate::crm::tags::kind(e), &ids)?;
            Ok((rows, more, tags, crate::crm::tags::store::all(c)?, views))
        })
        .await?;
    let next = if more {
        rows.last().map(|last| {
            let sort_value = match last.values.get(sort) {
                Some(Json::String(s)) => s.clone(),
                _ => match sort {
                    "created_at" => last.created_at.clone(),
                    _ => last.updated_at.clone(),
                },
            };
            let mut params: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| *k != "after" && *k != "after_id")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.sort();
            params.push(("after".into(), sort_value));
            params.push(("after_id".into(), last.id.to_string()));
            format!(
                "/{}?{}",
                e.table,
                serde_urlencoded::to_string(&params).unwrap_or_default()
            )
        })
    } else {
        None
    };
    let mut records = list_rows(&page, e, &rows, &mut tags);
    let listed: Vec<&crate::crm::fields::CustomField> =
        custom_fields.iter().filter(|f| f.in_list).collect();
    for (row, rec) in records.iter_mut().zip(&rows) {
        for f in &listed {
            let v = rec.values.get("custom").and_then(|c| c.get(&f.key));
            row.cells.push(Cell {
                label: f.label.clone(),
                text: crate::crm::fields::display(v),
                href: None,
                strong: false,
                badge: None,
                nowrap: false,
                tags: Vec::new(),
            });
        }
    }
    let custom_columns: Vec<&str> = listed.iter().map(|f| f.label.as_str()).collect();
    let filterable: Vec<Value> = custom_fields
        .iter()
        .filter(|f| matches!(f.kind.as_str(), "select" | "multiselect" | "checkbox"))
        .map(|f| {
            let name = crate::crm::fields::input_name(&f.key);
            let options = if f.kind == "checkbox" {
                vec!["true".to_string()]
            } else {
                f.options.clone()
            };
            context! { name, label => f.label, kind => f.kind, options, value => get(&name) }
        })
        .collect();
    let here = format!(
        "/{}?{}",
        e.table,
        serde_urlencoded::to_string(q.iter().collect::<Vec<_>>()).unwrap_or_default()
    );
    page.render(
        "records/list.html",
        context! {
            entity => e.table, columns => columns(&page, e), records, next, paged => query.after.is_some(),
            updated_label => page.tr("record.updated"),
            sort => sort_param, sorts => e.sorts, statuses => super::STATUSES,
            owner_filter => owner_options(&owners, get("owner").as_deref()),
            owner_choices => owner_options(&owners, None),
            filter => context! {
                status => get("status"), owner => get("owner"), company => get("company"), tag => get("tag"),
                source => get("source"), province => get("province"), city => get("city"), industry => get("industry"),
            },
            sources => super::SOURCES,
            industries => if e.fields.iter().any(|f| f.kind == Kind::Industry) { industries } else { Vec::new() },
            all_tags, here, views,
            first_page => format!("/{}?{}", e.table, serde_urlencoded::to_string(q.iter().filter(|(k, _)| !k.starts_with("after") && *k != "notice").collect::<Vec<_>>()).unwrap_or_default()), custom_columns, filterable, current_query => crate::crm::views::clean_query(&serde_urlencoded::to_string(q.iter().collect::<Vec<_>>()).unwrap_or_default()),
            can_edit => page.user()?.role.can(Permission::EditRecords),
            notice => page.notice(),
        },
    )
}

/// `GET /{entity}/{id}`: the 360° page.
pub async fn show(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show_page(e, &page, path_id(&id)?, None).await
}

/// The 360° page: details, contacts (companies), follow-ups, open tasks and the change
/// history. A follow-up form that failed validation comes back filled in (422).
pub async fn show_page(
    e: &'static Entity,
    page: &Page,
    id: i64,
    followup: Option<(ActivityInput, FollowupErrors)>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require(Permission::ViewRecords)?;
    let is_company = e.table == "companies";
    let (
        rec,
        contacts,
        history,
        activities,
        tasks,
        (tags, all_tags),
        (files, duplicates, custom_defs),
    ) = page
        .state
        .db
        .read(move |c| {
            let rec = store::get(c, e, id)?;
            let contacts = if is_company {
                let q = ListQuery {
                    company_id: Some(id),
                    sort: "name",
                    ..Default::default()
                };
                store::list(c, &crate::crm::contacts::CONTACTS, &q, 200)?.0
            } else {
                Vec::new()
            };
            // The record's own history and that of duplicates merged into it.
            let mut history = Vec::new();
            for rid in std::iter::once(id).chain(store::merged_into(c, e, id)?) {
                let filter = audit::Filter {
                    entity_type: Some(e.kind.into()),
                    entity_id: Some(rid.to_string()),
                    ..Default::default()
                };
                history.extend(audit::list(c, &filter, 30)?.0);
            }
            history.sort_by_key(|e| std::cmp::Reverse(e.id));
            history.truncate(30);
            let duplicates = if rec.deleted_at.is_none() {
                store::duplicates(c, e, &rec.values, Some(id))?
            } else {
                Vec::new()
            };
            let activities = followups::activities(c, is_company, id, 100)?;
            let tasks = followups::open_tasks(c, is_company, id)?;
            let mut tags =
                crate::crm::tags::store::for_records(c, crate::crm::tags::kind(e), &[id])?;
            let all_tags = crate::crm::tags::store::all(c)?;
            let tags = tags.remove(&id).unwrap_or_default();
            let files =
                crate::crm::attachments::store::for_record(c, crate::crm::tags::kind(e), id)?;
            Ok((
                rec,
                contacts,
                history,
                activities,
                tasks,
                (tags, all_tags),
                (
                    files,
                    duplicates,
                    crate::crm::fields::store::for_entity(c, e.table)?,
                ),
            ))
        })
        .await?;
    if rec.deleted_at.is_some() && !me.role.can(Permission::ManageTrash) {
        return Err(AppError::NotFound);
    }
    let contacts: Vec<Value> = contacts
        .iter()
        .map(|r| view(&crate::crm::contacts::CONTACTS, r))
        .collect();
    let fresh = followup.is_none();
    let (followup_input, followup_errors) = followup.unwrap_or_default();
    let today = crate::crm::followups::pages::today(&page.state).to_string();
    page.render_form(
        "records/show.html",
        context! {
            entity => e.table, fields => fields(e), record => view(e, &rec), contacts,
            history => crate::audit::pages::rows(&history), activities, tasks, today, tags, all_tags,
            colors => crate::crm::tags::COLORS, files, duplicates,
            custom => custom_defs.iter().map(|f| (f.label.clone(), crate::crm::fields::display(rec.values.get("custom").and_then(|c| c.get(&f.key))))).collect::<Vec<_>>(),
            max_mb => page.state.config.attachments.max_megabytes,
            kinds => crate::crm::followups::KINDS, outcomes => crate::crm::followups::OUTCOMES,
            followup => followup_input, followup_errors,
            can_edit => me.role.can(Permission::EditRecords),
            notice => page.notice(),
        },
        fresh,
    )
}

fn form_values(
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
                Kind::User | Kind::Industry => rec
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
    duplicates: Vec<(i64, String)>,
    conflict: Option<Value>,
}

async fn render_form(page: &Page, f: FormPage<'_>, fresh: bool) -> Result<HttpResponse, AppError> {
    let table = f.entity.table;
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
    let ctx = context! {
        entity => f.entity.table, fields => fields(f.entity), input => f.input, errors => f.errors, custom_fields, required, industries,
        record => f.record, version => f.version, duplicates => f.duplicates, conflict => f.conflict,
        owners => owners(page).await?, editing => f.version.is_some(),
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
    me.require(Permission::EditRecords)?;
    let mut input: Params = q.into_inner();
    input
        .entry("status".into())
        .or_insert_with(|| "lead".into());
    input
        .entry("owner_id".into())
        .or_insert_with(|| me.id.to_string());
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

async fn parse(
    page: &Page,
    e: &'static Entity,
    input: &Params,
) -> Result<Result<Values, FieldErrors>, AppError> {
    let input = input.clone();
    page.state
        .db
        .read(move |c| {
            let lookup = |name: &str| store::company_by_name(c, name).ok().flatten();
            let exists = |id: i64| users::get(c, id).is_ok_and(|u| u.disabled_at.is_none());
            let custom = crate::crm::fields::store::for_entity(c, e.table)?;
            let required = crate::crm::fields::store::required(c, e.table)?;
            let industry = |id: i64| crate::crm::industries::exists(c, id).unwrap_or(false);
            Ok(super::parse(
                e, &input, &lookup, &exists, &industry, &custom, &required,
            ))
        })
        .await
}

/// `POST /{entity}/new`: validates, warns about duplicates until confirmed, creates.
pub async fn create(
    e: &'static Entity,
    page: Page,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::EditRecords)?;
    let values = match parse(&page, e, &input).await? {
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
        let v = values.clone();
        let duplicates = page
            .state
            .db
            .read(move |c| Ok(store::duplicates(c, e, &v, None)?))
            .await?;
        if !duplicates.is_empty() {
            let f = FormPage {
                entity: e,
                input: &input,
                errors: FieldErrors::new(),
                record: None,
                version: None,
                duplicates,
                conflict: None,
            };
            return render_form(&page, f, false).await;
        }
    }
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| super::create(tx, e, &values))
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
    page.user()?.require(Permission::EditRecords)?;
    let id = path_id(&id)?;
    let rec = page
        .state
        .db
        .read(move |c| Ok(store::get(c, e, id)?))
        .await?;
    if rec.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let custom = page
        .state
        .db
        .read(move |c| Ok(crate::crm::fields::store::for_entity(c, e.table)?))
        .await?;
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
    page.user()?.require(Permission::EditRecords)?;
    let id = path_id(&id)?;
    let version: i64 = input
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let current = page
        .state
        .db
        .read(move |c| Ok(store::get(c, e, id)?))
        .await?;
    if current.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let values = match parse(&page, e, &input).await? {
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
            super::update(tx, e, id, version, &values)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/{}/{id}?notice=saved", e.table))),
        Err(AppError::Conflict(_)) => {
            let custom = page
                .state
                .db
                .read(move |c| Ok(crate::crm::fields::store::for_entity(c, e.table)?))
                .await?;
            let theirs = form_values(e, &current, &custom);
            let changed: Vec<Value> = e
                .fields
                .iter()
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

/// `POST /{entity}/{id}/delete`: to the trash.
pub async fn delete(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::EditRecords)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| super::soft_delete(tx, e, id))
        .await?;
    Ok(see_other(&format!("/{}?notice=record_deleted", e.table)))
}

/// `POST /{entity}/{id}/restore`: by the owner or an administrator.
pub async fn restore(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let id = path_id(&id)?;
    let rec = page
        .state
        .db
        .read(move |c| Ok(store::get(c, e, id)?))
        .await?;
    let owner = rec.values.get("owner_id").and_then(Json::as_i64);
    if !(me.role.can(Permission::ManageTrash)
        || (owner == Some(me.id) && me.role.can(Permission::EditRecords)))
    {
        return Err(AppError::Forbidden);
    }
    page.state
        .db
        .write(page.actor(), move |tx| super::restore(tx, e, id))
        .await?;
    Ok(see_other(&format!(
        "/{}/{id}?notice=record_restored",
        e.table
    )))
}

/// `POST /{entity}/{id}/purge`: administrators only, from the trash.
pub async fn purge(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageTrash)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| super::purge(tx, e, id))
        .await?;
    Ok(see_other("/trash?notice=record_purged"))
}

/// `GET /trash`: what was deleted, and by whom it may be restored.
pub async fn trash(page: Page) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require(Permission::ViewRecords)?;
    let admin = me.role.can(Permission::ManageTrash);
    let my_id = me.id;
    let (companies, contacts) = page
        .state
        .db
        .read(|c| {
            Ok((
                store::trash(c, &crate::crm::companies::COMPANIES, 200)?,
                store::trash(c, &crate::crm::contacts::CONTACTS, 200)?,
            ))
        })
        .await?;
    let visible =
        |r: &Record| admin || r.values.get("owner_id").and_then(Json::as_i64) == Some(my_id);
    let rows = |e: &Entity, list: &[Record]| -> Vec<Value> {
        list.iter()
            .filter(|r| visible(r))
            .map(|r| context! { entity => e.table, ..view(e, r) })
            .collect()
    };
    let mut items = rows(&crate::crm::companies::COMPANIES, &companies);
    items.extend(rows(&crate::crm::contacts::CONTACTS, &contacts));
    page.render(
        "records/trash.html",
        context! { items, admin, notice => page.notice() },
    )
}

/// The merge form.
#[derive(serde::Deserialize)]
pub struct MergeInput {
    #[serde(default)]
    into: String,
}

/// `POST /{entity}/{id}/merge`: merges this record into the one named by `into` (its id).
pub async fn merge(
    e: &'static Entity,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<MergeInput>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::EditRecords)?;
    let from = path_id(&id)?;
    let into: i64 = input
        .into
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| AppError::invalid("into", "merge.error.target"))?;
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| super::merge(tx, e, from, into))
        .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/{}/{into}?notice=merged", e.table))),
        Err(AppError::NotFound) => Err(AppError::invalid("into", "merge.error.target")),
        Err(other) => Err(other),
    }
}
