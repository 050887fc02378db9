//! The conversion page of a lead: what it becomes, with the duplicates found offered for
//! reuse, and an optional deal.

use super::LEADS;
use super::convert::{self, Plan, Target};
use crate::auth::csrf::Form;
use crate::auth::{Action, Level};
use crate::crm::records::pages::{Params, live_record, parse, parse_for_pending_company};
use crate::crm::records::store::{self as records, Duplicate, Record};
use crate::crm::records::{FieldErrors, Values};
use crate::crm::{companies::COMPANIES, contacts::CONTACTS, deals::DEALS};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde_json::Value;

/// The routes; registered before the leads' record routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/leads/{id}/convert", web::get().to(form))
        .route("/leads/{id}/convert", web::post().to(submit));
}

fn text(rec: &Record, name: &str) -> String {
    match rec.values.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The form as first shown: everything taken from the lead, a matching company or contact
/// chosen when the duplicate check finds one the user may see.
fn initial(lead: &Record, companies: &[Duplicate], contacts: &[Duplicate]) -> Params {
    let mut p = Params::new();
    let company_name = Some(text(lead, "company_name"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| text(lead, "name"));
    p.insert(
        "company".into(),
        companies
            .first()
            .map_or_else(|| "new".to_string(), |d| d.id.to_string()),
    );
    p.insert(
        "contact".into(),
        contacts
            .first()
            .map_or_else(|| "new".to_string(), |d| d.id.to_string()),
    );
    p.insert("company_name".into(), company_name.clone());
    p.insert("deal_name".into(), company_name);
    p.insert("make_deal".into(), "1".into());
    p.insert("amount".into(), "0".into());
    p
}

async fn duplicates(
    page: &Page,
    lead: &Record,
) -> Result<(Vec<Duplicate>, Vec<Duplicate>), AppError> {
    let mut company_values = Values::new();
    let name = text(lead, "company_name");
    if !name.is_empty() {
        company_values.insert(
            "name_norm".into(),
            Value::from(crate::crm::records::normalize_company_name(&name)),
        );
    }
    let contact_values = lead.values.clone();
    let (companies, contacts) = page
        .state
        .db
        .read(move |c| {
            Ok((
                records::duplicates(c, &COMPANIES, &company_values, None)?,
                records::duplicates(c, &CONTACTS, &contact_values, None)?,
            ))
        })
        .await?;
    // Only records the user may see are offered; the others are created anew.
    let cs = page.scope(COMPANIES.area, Action::View).await?;
    let ps = page.scope(CONTACTS.area, Action::View).await?;
    Ok((
        companies
            .into_iter()
            .filter(|d| cs.allows_record(d.owner_id, d.id))
            .collect(),
        contacts
            .into_iter()
            .filter(|d| ps.allows_record(d.owner_id, d.id))
            .collect(),
    ))
}

async fn render(
    page: &Page,
    lead: &Record,
    input: &Params,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (companies, contacts) = duplicates(page, lead).await?;
    let stages = page
        .state
        .db
        .read(|c| Ok(crate::crm::deals::store::all_stages(c)?))
        .await?;
    let me = page.user()?;
    let fresh = errors.is_empty();
    page.render_form(
        "leads/convert.html",
        context! {
            lead => minijinja::Value::from_serialize(lead), name => text(lead, "name"),
            companies, contacts, stages, input, errors, version => lead.version,
            can_deal => me.level(DEALS.area, Action::Create) != Level::None,
        },
        fresh,
    )
}

async fn convertible(page: &Page, id: &str) -> Result<Record, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let lead = live_record(page, &LEADS, id, Action::Edit).await?;
    let me = page.user()?;
    for area in [COMPANIES.area, CONTACTS.area] {
        me.require_level(area, Action::Create)?;
    }
    if lead.values.get("status") == Some(&Value::from("converted")) {
        return Err(AppError::Conflict("lead.error.converted".into()));
    }
    Ok(lead)
}

/// `GET /leads/{id}/convert`.
pub async fn form(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let lead = convertible(&page, &id).await?;
    let (companies, contacts) = duplicates(&page, &lead).await?;
    let input = initial(&lead, &companies, &contacts);
    render(&page, &lead, &input, FieldErrors::new()).await
}

/// The lead's values as a form of another entity, with `extra` on top.
fn form_of(lead: &Record, names: &[&str], extra: &[(&str, String)]) -> Params {
    let mut p: Params = names
        .iter()
        .map(|n| (n.to_string(), text(lead, n)))
        .collect();
    for (k, v) in extra {
        p.insert(k.to_string(), v.clone());
    }
    p
}

/// Errors of one part of the form, keyed by the part (`company_name`, `deal_amount`...).
fn part(errors: FieldErrors, prefix: &str, skip: &[&str]) -> FieldErrors {
    errors
        .into_iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (format!("{prefix}_{k}"), v))
        .collect()
}

/// `POST /leads/{id}/convert`.
pub async fn submit(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let lead = convertible(&page, &id).await?;
    let owner = text(&lead, "owner_id");
    let owner = if owner.is_empty() {
        page.user()?.id.to_string()
    } else {
        owner
    };
    let get = |k: &str| {
        input
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = FieldErrors::new();
    let choice = |k: &str| get(k).parse::<i64>().ok();
    let (companies, contacts) = duplicates(&page, &lead).await?;
    let company = match choice("company") {
        Some(c) if companies.iter().any(|d| d.id == c) => Some(Target::Existing(c)),
        Some(_) => {
            errors.insert("company".into(), "record.error.choice".into());
            None
        }
        None => {
            let f = form_of(
                &lead,
                &[
                    "source",
                    "province",
                    "city",
                    "phone",
                    "email",
                    "industry_id",
                ],
                &[
                    ("name", get("company_name")),
                    ("status", "prospect".into()),
                    ("owner_id", owner.clone()),
                ],
            );
            match parse(&page, &COMPANIES, &f, None).await? {
                Ok(v) => Some(Target::New(v)),
                Err(e) => {
                    errors.extend(part(e, "company", &[]));
                    None
                }
            }
        }
    };
    let contact = match choice("contact") {
        Some(c) if contacts.iter().any(|d| d.id == c) => Some(Target::Existing(c)),
        Some(_) => {
            errors.insert("contact".into(), "record.error.choice".into());
            None
        }
        None => {
            let f = form_of(
                &lead,
                &[
                    "name", "title", "source", "province", "city", "mobile", "phone", "email",
                    "wechat",
                ],
                &[("status", "prospect".into()), ("owner_id", owner.clone())],
            );
            match parse(&page, &CONTACTS, &f, None).await? {
                Ok(v) => Some(Target::New(v)),
                Err(e) => {
                    errors.extend(part(e, "contact", &[]));
                    None
                }
            }
        }
    };
    let deal = if get("make_deal") == "1" {
        page.user()?.require_level(DEALS.area, Action::Create)?;
        let home = page.state.currency();
        let f: Params = [
            ("name", get("deal_name")),
            ("stage_id", get("deal_stage")),
            ("amount", get("amount")),
            ("currency", home),
            ("expected_close", get("expected_close")),
            ("source", text(&lead, "source")),
            ("owner_id", owner.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        // The company is set once it exists; the deal's other fields are checked now.
        match parse_for_pending_company(&page, &DEALS, &f).await? {
            Ok(v) => Some(v),
            Err(e) => {
                errors.extend(part(e, "deal", &[]));
                None
            }
        }
    } else {
        None
    };
    let (Some(company), Some(contact), true) = (company, contact, errors.is_empty()) else {
        let mut res = render(&page, &lead, &input, errors).await?;
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(res);
    };
    let version: i64 = get("version").parse().unwrap_or(0);
    let plan = Plan {
        company,
        contact,
        deal,
    };
    let lead_id = lead.id;
    let done = page
        .state
        .db
        .write(page.actor(), move |tx| {
            convert::convert(tx, lead_id, version, plan)
        })
        .await?;
    Ok(see_other(&format!(
        "/companies/{}?notice=lead_converted",
        done.company
    )))
}
