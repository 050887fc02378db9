//! `/f/{token}`: the public lead form, a small page of its own (no navigation, no sign-in)
//! in the visitor's language, fit to be shown inside an `<iframe>` on another site.
//!
//! The answers: sent → 200 with the form's thank-you text; a mistake → 422 with the input
//! kept and the fields marked; the hidden field filled in → the same 200 thank-you, but
//! nothing is kept; too many from one address → 429; an unknown or switched-off form → 404.

use super::LEADS;
use super::forms;
use super::forms_guard::{self as guard, Stamp};
use super::forms_store::{self as store, LeadForm};
use crate::crm::records::pages::Params;
use crate::crm::records::{FieldErrors, Kind};
use crate::db::Actor;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// The hidden field people never see; robots fill in every field they find.
pub const HONEYPOT: &str = "company_site";

/// The hidden field carrying the signed time stamp.
pub const STAMP: &str = "t";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An active form by its token; anything else is not found.
async fn load(page: &Page, token: &str) -> Result<LeadForm, AppError> {
    if token.is_empty() || token.len() > 64 {
        return Err(AppError::NotFound);
    }
    let token = token.to_string();
    page.state
        .db
        .read(move |c| Ok(store::by_token(c, &token)?))
        .await?
        .filter(|f| f.active)
        .ok_or(AppError::NotFound)
}

/// What the page shows.
enum Shown<'a> {
    /// The form, with the visitor's input, the problems found, and a message on top.
    Form(&'a Params, FieldErrors, Option<&'static str>),
    /// The thank-you text.
    Done,
}

async fn render(
    page: &Page,
    form: &LeadForm,
    shown: Shown<'_>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (custom, industries) = page
        .state
        .db
        .read(|c| {
            Ok((
                crate::crm::fields::store::for_entity(c, LEADS.table)?,
                crate::crm::industries::tree(c)?,
            ))
        })
        .await?;
    let custom = forms::shown_custom(form, custom);
    let fields: Vec<Value> = form
        .fields
        .iter()
        .filter_map(|name| {
            let required = form.required.contains(name);
            if let Some(f) = LEADS.field(name) {
                let kind = kind_name(f.kind);
                return Some(context! { name, kind, required, label => label(page, name) });
            }
            custom
                .iter()
                .find(|c| crate::crm::fields::input_name(&c.key) == *name)
                .map(|c| context! { name, required, kind => c.kind, label => c.label, options => c.options, custom => true })
        })
        .collect();
    let (input, errors, message, done) = match shown {
        Shown::Form(input, errors, message) => (Some(input), errors, message, false),
        Shown::Done => (None, FieldErrors::new(), None, true),
    };
    let ctx = context! {
        form => context! { name => form.name, token => form.token, thank_you => form.thank_you },
        fields, industries, input, errors, message, done,
        stamp => guard::stamp(&form.token, now()), honeypot => HONEYPOT,
    };
    let mut res = page.render("leads/public_form.html", ctx)?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /f/{token}`.
pub async fn show(page: Page, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let form = load(&page, &token).await?;
    let input = Params::new();
    render(
        &page,
        &form,
        Shown::Form(&input, FieldErrors::new(), None),
        StatusCode::OK,
    )
    .await
}

/// The answer to an address that sent too many forms lately.
fn too_many(page: &Page) -> Result<HttpResponse, AppError> {
    let html = page.state.templates.render(
        "leads/public_form.html",
        context! { ..page.context(), ..context! { limited => true } },
    )?;
    Ok(HttpResponse::TooManyRequests()
        .insert_header(("content-type", "text/html; charset=utf-8"))
        .insert_header(("cache-control", "no-store"))
        .insert_header(("retry-after", guard::WINDOW.as_secs().to_string()))
        .body(html))
}

/// `POST /f/{token}`: see the module docs for the answers.
pub async fn submit(
    page: Page,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Counted before anything else, so guessing tokens is limited too.
    if !guard::allow_submission(&page.state.config.data.dir, &page.ip) {
        tracing::info!("Refused a lead form submission: too many from one address");
        return too_many(&page);
    }
    let form = load(&page, &token).await?;
    // A body that is not a form reads as an empty one, and so gets the form back.
    let input: Params = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if input.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!(
            lead_form.id = form.id,
            "Ignored a submission of lead form {} that filled in the hidden field",
            form.id
        );
        return render(&page, &form, Shown::Done, StatusCode::OK).await;
    }
    let message = match guard::check(&form.token, input.get(STAMP).map(String::as_str), now()) {
        Stamp::Good => None,
        Stamp::TooFast => Some("lead_form.public.too_fast"),
        Stamp::Stale => Some("lead_form.public.stale"),
    };
    if let Some(message) = message {
        let shown = Shown::Form(&input, FieldErrors::new(), Some(message));
        return render(&page, &form, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (f, raw) = (form.clone(), input.clone());
    let values = match page
        .state
        .db
        .read(move |c| Ok(forms::validate(c, &f, &raw)?))
        .await?
    {
        Ok(v) => v,
        Err(errors) => {
            let shown = Shown::Form(&input, errors, None);
            return render(&page, &form, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = Actor {
        ip: Some(page.ip.clone()),
        request_id: Some(page.request_id.clone()),
        ..Actor::system("lead_form")
    };
    let f = form.clone();
    let id = page
        .state
        .db
        .write(actor, move |tx| forms::submit(tx, &f, &values))
        .await?;
    tracing::info!(
        lead_form.id = form.id,
        lead.id = id,
        "Lead {id} arrived through form {}",
        form.id
    );
    render(&page, &form, Shown::Done, StatusCode::OK).await
}

/// A lead field's label as a visitor reads it: the person's own name, their message.
pub fn label(page: &Page, name: &str) -> String {
    match name {
        "name" => page.tr("lead_form.public.name"),
        "notes" => page.tr("lead_form.public.notes"),
        _ => page.tr(&format!("field.{name}")),
    }
}

/// How the public template draws a lead field.
fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::LongText => "longtext",
        Kind::Email => "email",
        Kind::Phone => "phone",
        Kind::Industry => "industry",
        _ => "text",
    }
}
