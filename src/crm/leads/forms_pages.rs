//! `/admin/lead-forms`: administrators make public lead forms, choose their fields, and
//! copy the address or `<iframe>` snippet to put on a website. The public side, `/f/{token}`,
//! is in `forms_public`.

use super::forms::{self, FormInput};
use super::forms_store::{self as store, LeadForm};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::fields::CustomField;
use crate::crm::records::pages::Params;
use crate::crm::records::{FieldErrors, SOURCES};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// The routes: the administrators' pages and the public form.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::forms_public as public;
    cfg.route("/admin/lead-forms", web::get().to(list))
        .route("/admin/lead-forms/new", web::get().to(new_form))
        .route("/admin/lead-forms/new", web::post().to(create))
        .route("/admin/lead-forms/{id}", web::get().to(edit_form))
        .route("/admin/lead-forms/{id}", web::post().to(update))
        .route("/admin/lead-forms/{id}/token", web::post().to(new_token))
        .route("/f/{token}", web::get().to(public::show))
        .route("/f/{token}", web::post().to(public::submit));
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// The public address of a form.
fn url(page: &Page, token: &str) -> String {
    format!("{}/f/{token}", page.state.config.public_url())
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The snippet that embeds a form in another site's page.
fn snippet(page: &Page, f: &LeadForm) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"760\" style=\"border:0;max-width:560px\" loading=\"lazy\"></iframe>",
        attr(&url(page, &f.token)),
        attr(&f.name)
    )
}

/// `GET /admin/lead-forms`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (all, counts) = page
        .state
        .db
        .read(|c| Ok((store::all(c)?, store::lead_counts(c)?)))
        .await?;
    let rows: Vec<Value> = all
        .iter()
        .map(|f| {
            let leads = counts.iter().find(|c| c.0 == f.id).map_or(0, |c| c.1);
            context! { url => url(&page, &f.token), leads, ..Value::from_serialize(f) }
        })
        .collect();
    page.render(
        "leads/forms.html",
        context! { forms => rows, notice => page.notice() },
    )
}

/// One row of the field chooser.
fn chooser(custom: &[CustomField], page: &Page) -> Vec<Value> {
    forms::choices(custom)
        .into_iter()
        .map(|name| {
            let label = match custom
                .iter()
                .find(|c| crate::crm::fields::input_name(&c.key) == name)
            {
                Some(c) => c.label.clone(),
                None => super::forms_public::label(page, &name),
            };
            context! { name, label }
        })
        .collect()
}

async fn render_editor(
    page: &Page,
    stored: Option<&LeadForm>,
    input: &FormInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let custom = page
        .state
        .db
        .read(|c| Ok(crate::crm::fields::store::for_entity(c, "leads")?))
        .await?;
    let fresh = errors.is_empty();
    let form = stored.map(|f| {
        context! { url => url(page, &f.token), snippet => snippet(page, f), ..Value::from_serialize(f) }
    });
    let input = context! {
        name => input.name, thank_you => input.thank_you, source => input.source,
        active => input.active, fields => input.fields, required => input.required,
    };
    page.render_form(
        "leads/forms_form.html",
        context! { form, input, errors, notice, choices => chooser(&custom, page), sources => SOURCES },
        fresh,
    )
}

/// `GET /admin/lead-forms/new`.
pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let input = FormInput {
        fields: ["name", "company_name", "mobile", "email", "notes"]
            .map(String::from)
            .to_vec(),
        required: vec!["name".into(), "mobile".into()],
        thank_you: page.tr("lead_form.default_thank_you"),
        source: Some("website".into()),
        active: true,
        ..Default::default()
    };
    render_editor(&page, None, &input, FieldErrors::new(), None).await
}

async fn parse(page: &Page, input: &Params) -> Result<(FormInput, FieldErrors), AppError> {
    let custom = page
        .state
        .db
        .read(|c| Ok(crate::crm::fields::store::for_entity(c, "leads")?))
        .await?;
    Ok(forms::parse(input, &custom))
}

/// `POST /admin/lead-forms/new`.
pub async fn create(page: Page, Form(input): Form<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (f, errors) = parse(&page, &input).await?;
    if !errors.is_empty() {
        return render_editor(&page, None, &f, errors, None).await;
    }
    let id = page
        .state
        .db
        .write(page.actor(), move |tx| forms::create(tx, &f))
        .await?;
    Ok(see_other(&format!("/admin/lead-forms/{id}?notice=saved")))
}

async fn load(page: &Page, id: i64) -> Result<LeadForm, AppError> {
    page.state
        .db
        .read(move |c| Ok(store::get(c, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET /admin/lead-forms/{id}`: the editor, with the address and the snippet.
pub async fn edit_form(
    page: Page,
    id: web::Path<String>,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let stored = load(&page, path_id(&id)?).await?;
    let input = forms::input_of(&stored);
    let notice = match q.get("changed").map(String::as_str) {
        Some("token") => Some("lead_form.token_changed".to_string()),
        _ => page.notice(),
    };
    render_editor(&page, Some(&stored), &input, FieldErrors::new(), notice).await
}

/// `POST /admin/lead-forms/{id}`.
pub async fn update(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id = path_id(&id)?;
    let stored = load(&page, id).await?;
    let version: i64 = input
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (f, errors) = parse(&page, &input).await?;
    if !errors.is_empty() {
        // Shown again on the version the editor started from, so a change made meanwhile
        // is still noticed on the next save.
        let mut stored = stored;
        stored.version = version;
        return render_editor(&page, Some(&stored), &f, errors, None).await;
    }
    let saved = f.clone();
    match page
        .state
        .db
        .write(page.actor(), move |tx| {
            forms::update(tx, id, version, &saved)
        })
        .await
    {
        Ok(()) => Ok(see_other(&format!("/admin/lead-forms/{id}?notice=saved"))),
        Err(AppError::Conflict(key)) => {
            let current = load(&page, id).await?;
            let errors = FieldErrors::from([("form".to_string(), key)]);
            let mut res = render_editor(&page, Some(&current), &f, errors, None).await?;
            *res.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/lead-forms/{id}/token`: a new address; the old one stops working.
pub async fn new_token(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| forms::regenerate_token(tx, id))
        .await?;
    Ok(see_other(&format!("/admin/lead-forms/{id}?changed=token")))
}
