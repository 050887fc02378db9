//! Admin pages for webhooks: `/admin/webhooks` lists receivers and adds one (its signing
//! secret is shown once), `/admin/webhooks/{id}` edits it and shows its delivery log with
//! "send test" and "retry".

use super::hooks::{self, WebhookInput};
use super::store::{self, Webhook};
use super::{deliver, events};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::records::FieldErrors;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// Registers the webhook admin routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/webhooks", web::get().to(list))
        .route("/admin/webhooks", web::post().to(create))
        .route("/admin/webhooks/{id}", web::get().to(show))
        .route("/admin/webhooks/{id}", web::post().to(update))
        .route("/admin/webhooks/{id}/delete", web::post().to(delete))
        .route("/admin/webhooks/{id}/test", web::post().to(test))
        .route("/admin/webhooks/{id}/secret", web::post().to(new_secret))
        .route(
            "/admin/webhooks/{id}/deliveries/{delivery}/retry",
            web::post().to(retry),
        );
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

fn admin(page: &Page) -> Result<(), AppError> {
    page.user()?.require(Permission::ManageSettings)
}

/// The event checkboxes, grouped by record kind in [`events::EVENTS`] order.
fn groups() -> Vec<Value> {
    let mut kinds: Vec<(&str, Vec<&str>)> = Vec::new();
    for e in events::EVENTS {
        let kind = e.split('.').next().unwrap_or_default();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, list)) => list.push(e),
            None => kinds.push((kind, vec![e])),
        }
    }
    kinds
        .into_iter()
        .map(|(kind, list)| {
            let events: Vec<Value> = list
                .into_iter()
                .map(|name| {
                    let verb = name.split_once('.').map_or(name, |(_, v)| v);
                    context! { name, verb, input => hooks::event_input(name) }
                })
                .collect();
            context! { kind, events }
        })
        .collect()
}

async fn render_list(
    page: &Page,
    input: &WebhookInput,
    errors: FieldErrors,
    created: Option<Value>,
) -> Result<HttpResponse, AppError> {
    let all = page.state.db.read(|c| Ok(store::all(c)?)).await?;
    let fresh = errors.is_empty();
    let ctx = context! {
        hooks => all, input, errors, created, groups => groups(), notice => page.notice(),
    };
    page.render_form("webhooks/list.html", ctx, fresh)
}

/// `GET /admin/webhooks`: the receivers and the form to add one.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let input = WebhookInput {
        active: true,
        ..Default::default()
    };
    render_list(&page, &input, FieldErrors::new(), None).await
}

/// `POST /admin/webhooks`: adds a receiver and shows its signing secret, once.
pub async fn create(page: Page, Form(form): Form<Params>) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let (input, errors) = hooks::parse(&form);
    if !errors.is_empty() {
        return render_list(&page, &input, errors, None).await;
    }
    let saved = input.clone();
    let (id, secret) = page
        .state
        .db
        .write(page.actor(), move |tx| hooks::create(tx, &saved))
        .await?;
    tracing::info!(webhook.id = id, "Added webhook {id}");
    let fresh = WebhookInput {
        active: true,
        ..Default::default()
    };
    let created = context! { id, secret };
    render_list(&page, &fresh, FieldErrors::new(), Some(created)).await
}

async fn load(page: &Page, id: i64) -> Result<Webhook, AppError> {
    page.state
        .db
        .read(move |c| Ok(store::get(c, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

async fn render_show(
    page: &Page,
    hook: &Webhook,
    input: &WebhookInput,
    errors: FieldErrors,
    extra: Value,
) -> Result<HttpResponse, AppError> {
    let id = hook.id;
    let deliveries = page
        .state
        .db
        .read(move |c| Ok(store::deliveries(c, id)?))
        .await?;
    let fresh = errors.is_empty();
    let ctx = context! {
        hook, input, errors, deliveries, groups => groups(),
        max_attempts => deliver::MAX_ATTEMPTS, log_limit => store::LOG_LIMIT, ..extra,
    };
    page.render_form("webhooks/show.html", ctx, fresh)
}

/// `GET /admin/webhooks/{id}`: settings and the delivery log.
pub async fn show(
    page: Page,
    id: web::Path<String>,
    q: web::Query<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let hook = load(&page, path_id(&id)?).await?;
    let notice = match q.get("queued").map(String::as_str) {
        Some("test") => Some("webhook.test_queued".to_string()),
        Some("retry") => Some("webhook.retry_queued".to_string()),
        _ => page.notice(),
    };
    let input = hooks::input_of(&hook);
    render_show(
        &page,
        &hook,
        &input,
        FieldErrors::new(),
        context! { notice },
    )
    .await
}

/// `POST /admin/webhooks/{id}`: saves the address, events and switch.
pub async fn update(
    page: Page,
    id: web::Path<String>,
    Form(form): Form<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let id = path_id(&id)?;
    let hook = load(&page, id).await?;
    let (input, errors) = hooks::parse(&form);
    if !errors.is_empty() {
        return render_show(&page, &hook, &input, errors, context! {}).await;
    }
    page.state
        .db
        .write(page.actor(), move |tx| hooks::update(tx, id, &input))
        .await?;
    Ok(see_other(&format!("/admin/webhooks/{id}?notice=saved")))
}

/// `POST /admin/webhooks/{id}/delete`: removes the receiver and its log.
pub async fn delete(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| hooks::delete(tx, id))
        .await?;
    tracing::info!(webhook.id = id, "Removed webhook {id}");
    Ok(see_other("/admin/webhooks?notice=deleted"))
}

/// `POST /admin/webhooks/{id}/test`: queues a `webhook.test` delivery.
pub async fn test(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let id = path_id(&id)?;
    page.state
        .db
        .write(page.actor(), move |tx| hooks::queue_test(tx, id))
        .await?;
    Ok(see_other(&format!("/admin/webhooks/{id}?queued=test")))
}

/// `POST /admin/webhooks/{id}/secret`: replaces the signing secret and shows the new one,
/// once; receivers must be given it before they accept deliveries again.
pub async fn new_secret(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let id = path_id(&id)?;
    let secret = page
        .state
        .db
        .write(page.actor(), move |tx| hooks::rotate_secret(tx, id))
        .await?;
    let hook = load(&page, id).await?;
    let input = hooks::input_of(&hook);
    let extra = context! { secret, notice => "webhook.secret_changed" };
    render_show(&page, &hook, &input, FieldErrors::new(), extra).await
}

/// `POST /admin/webhooks/{id}/deliveries/{delivery}/retry`: puts a failed delivery back in
/// the queue, due now.
pub async fn retry(
    page: Page,
    path: web::Path<(String, String)>,
    Form(_): Form<Params>,
) -> Result<HttpResponse, AppError> {
    admin(&page)?;
    let (id, delivery) = (path_id(&path.0)?, path_id(&path.1)?);
    page.state
        .db
        .write(page.actor(), move |tx| hooks::retry(tx, id, delivery))
        .await?;
    Ok(see_other(&format!("/admin/webhooks/{id}?queued=retry")))
}
