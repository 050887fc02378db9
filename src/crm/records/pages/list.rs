//! The list page: filters, sort, keyset pages, saved views and bulk selection.

use super::super::store::{self, Record};
use super::super::{Entity, Kind};
use super::*;
use crate::auth::{Action, Level};
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};
use serde_json::Value as Json;
use std::collections::HashMap;

/// One cell of a list row, ready to print.
struct Cell {
    label: String,
    text: String,
    href: Option<String>,
    strong: bool,
    badge: Option<String>,
    nowrap: bool,
    tags: Vec<crate::crm::tags::store::Tag>,
}

/// A list row: built and printed in Rust (see [`rows_html`]).
struct Row {
    id: i64,
    name: String,
    cells: Vec<Cell>,
    updated: String,
}

fn list_rows(
    page: &Page,
    e: &Entity,
    hidden: &[String],
    rows: &[Record],
    tags: &mut HashMap<i64, Vec<crate::crm::tags::store::Tag>>,
) -> Vec<Row> {
    let tz: chrono_tz::Tz = page
        .state
        .company()
        .and_then(|c| c.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let columns: Vec<(&super::super::Field, String, HashMap<&str, String>)> = e
        .fields
        .iter()
        .filter(|f| f.list && !hidden.iter().any(|h| h == f.name))
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
                        Kind::Money if !cell.text.is_empty() => {
                            let currency = r.values.get("currency").and_then(Json::as_str);
                            cell.text = format!("{} {}", currency.unwrap_or_default(), cell.text);
                            cell.nowrap = true;
                        }
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

/// The table rows as markup. Fifty rows of per-cell template logic cost more than the
/// database work of the page, so the rows are printed here, every value escaped.
fn rows_html(rows: &[Row], pick_label: Option<&str>, updated_label: &str) -> Value {
    use crate::web::push_escaped as esc;
    use std::fmt::Write;
    let mut h = String::with_capacity(rows.len() * 1024);
    for r in rows {
        h.push_str("<tr>");
        if let Some(label) = pick_label {
            let _ = write!(
                h,
                "<td class=\"pick\"><input type=\"checkbox\" name=\"ids\" value=\"{}\" aria-label=\"",
                r.id
            );
            esc(&mut h, label);
            h.push(' ');
            esc(&mut h, &r.name);
            h.push_str("\"></td>");
        }
        for c in &r.cells {
            h.push_str("<td data-label=\"");
            esc(&mut h, &c.label);
            h.push_str(if c.nowrap {
                "\" class=\"nowrap\">"
            } else {
                "\">"
            });
            if let Some(href) = &c.href {
                h.push_str("<a href=\"");
                esc(&mut h, href);
                h.push_str("\">");
                if c.strong {
                    h.push_str("<strong>");
                    esc(&mut h, &c.text);
                    h.push_str("</strong>");
                } else {
                    esc(&mut h, &c.text);
                }
                h.push_str("</a>");
            } else if let Some(badge) = &c.badge {
                h.push_str("<span class=\"badge status-");
                esc(&mut h, badge);
                h.push_str("\">");
                esc(&mut h, &c.text);
                h.push_str("</span>");
            } else {
                esc(&mut h, &c.text);
            }
            for tag in &c.tags {
                h.push_str(" <span class=\"tag tag-");
                esc(&mut h, &tag.color);
                h.push_str("\">");
                esc(&mut h, &tag.name);
                h.push_str("</span>");
            }
            h.push_str("</td>");
        }
        h.push_str("<td class=\"nowrap muted\" data-label=\"");
        esc(&mut h, updated_label);
        h.push_str("\">");
        esc(&mut h, &r.updated);
        h.push_str("</td></tr>\n");
    }
    Value::from_safe_string(h)
}

/// The list columns with their labels and option labels translated once per page, not once
/// per cell.
fn columns(page: &Page, e: &Entity, hidden: &[String]) -> Vec<Value> {
    e.fields
        .iter()
        .filter(|f| f.list && !hidden.iter().any(|h| h == f.name))
        .map(|f| {
            let options: HashMap<&str, String> = match f.kind {
                Kind::Select(o) => o.iter().map(|v| (*v, page.tr(&format!("record.{}.{v}", f.name)))).collect(),
                _ => HashMap::new(),
            };
            context! { name => f.name, kind => kind_name(f.kind), label => page.tr(&format!("field.{}", f.name)), options }
        })
        .collect()
}

/// `GET /{entity}`: filters, sort and keyset pages.
pub async fn list(
    e: &'static Entity,
    page: Page,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(e.area, Action::View)?;
    let rules = me.access.rules(e.area);
    let hidden = super::super::rules::hidden(&rules);
    let params = super::super::query::Params::new(&q, &hidden);
    let get = |k: &str| params.get(k);
    let sort_param = params.sort_param();
    let (sort, _) = params.sort(e);
    let db = &page.state.db;
    let custom_fields = crate::crm::fields::definitions(db, e.table).await?;
    let scope = page.scope(e.area, Action::View).await?;
    let mut query = params.query(e, &custom_fields, &scope);
    query.after = get("after_id")
        .and_then(|id| id.parse().ok())
        .map(|id| (get("after").unwrap_or_default(), id));
    let owners = owners(&page).await?;
    let stage_filter = match e.field("stage_id") {
        Some(_) => Some(crate::crm::deals::all_stages(db).await?),
        None => None,
    };
    let industries = match e.fields.iter().any(|f| f.kind == Kind::Industry) {
        true => Some(crate::crm::industries::cached_tree(db).await?),
        false => None,
    };
    let all_tags = crate::crm::tags::all(db).await?;
    let lq = query.clone();
    let my_id = me.id;
    let (mut rows, more, mut tags, views) = db
        .read(move |c| {
            let views = crate::crm::views::store::list(c, my_id, e.table)?;
            let (rows, more) = store::list(c, e, &lq, PAGE_SIZE)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let tags = crate::crm::tags::store::for_records(c, crate::crm::tags::kind(e), &ids)?;
            Ok((rows, more, tags, views))
        })
        .await?;
    let next = if more {
        rows.last().map(|last| {
            let (sort_value, last_id) = super::super::query::position(last, sort);
            let mut params: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| *k != "after" && *k != "after_id")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            params.sort();
            params.push(("after".into(), sort_value));
            params.push(("after_id".into(), last_id.to_string()));
            format!(
                "/{}?{}",
                e.table,
                serde_urlencoded::to_string(&params).unwrap_or_default()
            )
        })
    } else {
        None
    };
    if !rules.is_empty() {
        for r in &mut rows {
            super::super::redact_record(e, &rules, r);
        }
    }
    let mut records = list_rows(&page, e, &hidden, &rows, &mut tags);
    let visible =
        |f: &&crate::crm::fields::CustomField| !hidden.contains(&format!("custom.{}", f.key));
    let listed: Vec<&crate::crm::fields::CustomField> = custom_fields
        .iter()
        .filter(|f| f.in_list)
        .filter(visible)
        .collect();
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
        .filter(visible)
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
    let can_edit = me.level(e.area, Action::Edit) != Level::None;
    let can_delete = me.level(e.area, Action::Delete) != Level::None;
    let pick = can_edit || can_delete;
    let here = format!(
        "/{}?{}",
        e.table,
        serde_urlencoded::to_string(q.iter().collect::<Vec<_>>()).unwrap_or_default()
    );
    page.render(
        "records/list.html",
        context! {
            field_names => e.fields.iter().map(|f| f.name).collect::<Vec<_>>(),
            stage_filter => stage_filter.as_deref().map_or(&[][..], Vec::as_slice), stage => get("stage_id"),
            entity => e.table, columns => columns(&page, e, &hidden), hidden => &hidden, next, paged => query.after.is_some(),
            records => !records.is_empty(), rows => rows_html(&records, pick.then(|| page.tr("bulk.select")).as_deref(), &page.tr("record.updated")),
            sort => sort_param, sorts => e.sorts,
            statuses => match e.field("status").map(|f| f.kind) { Some(Kind::Select(o)) => o, _ => super::super::STATUSES },
            owner_filter => owners.options(get("owner").as_deref()),
            owner_choices => owners.options(None),
            filter => context! {
                status => get("status"), owner => get("owner"), company => get("company"), tag => get("tag"),
                source => get("source"), province => get("province"), city => get("city"), industry => get("industry"),
            },
            sources => super::super::SOURCES,
            industries => industries.as_deref().map_or(&[][..], Vec::as_slice),
            all_tags => all_tags.as_slice(), here, views,
            first_page => format!("/{}?{}", e.table, serde_urlencoded::to_string(q.iter().filter(|(k, _)| !k.starts_with("after") && *k != "notice").collect::<Vec<_>>()).unwrap_or_default()), custom_columns, filterable, current_query => crate::crm::views::clean_query(&serde_urlencoded::to_string(q.iter().collect::<Vec<_>>()).unwrap_or_default()),
            can_edit, can_delete,
            can_create => me.level(e.area, Action::Create) != Level::None,
            can_export => me.level(e.area, Action::Export) != Level::None,
            notice => page.notice(),
        },
    )
}
