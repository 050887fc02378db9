//! First run: while no administrator exists, the server prints a one-time setup link.
//! Its page creates the administrator and the company profile, then the link is dead.
//! There is no default password anywhere.

use super::csrf::Form;
use super::password::check_policy;
use super::session::{SESSION_COOKIE, cookie};
use super::{random_token, same_secret, store as sessions, token_hash};
use crate::audit::Event;
use crate::crm::settings::{self, CURRENCIES, ProfileInput, TIME_ZONES};
use crate::crm::users::{self, FieldErrors, UserInput, store as users_store};
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The setup token of this server process, if setup is still to be done.
pub struct SetupLink {
    inner: Mutex<Option<(String, Instant)>>,
}

impl SetupLink {
    /// A fresh link valid for `ttl` when `needed`, otherwise none.
    pub fn new(needed: bool, ttl: Duration) -> SetupLink {
        let inner = needed.then(|| (random_token(24), Instant::now() + ttl));
        SetupLink {
            inner: Mutex::new(inner),
        }
    }

    /// The token to print, while valid.
    pub fn token(&self) -> Option<String> {
        let guard = self.inner.lock().ok()?;
        guard
            .as_ref()
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone())
    }

    /// Whether setup is still to be done.
    pub fn pending(&self) -> bool {
        self.inner.lock().map(|g| g.is_some()).unwrap_or(false)
    }

    fn valid(&self, token: &str) -> bool {
        self.token().is_some_and(|t| same_secret(&t, token))
    }

    fn finish(&self) {
        if let Ok(mut g) = self.inner.lock() {
            *g = None;
        }
    }
}

/// The setup form: the administrator and the company.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SetupInput {
    #[serde(flatten)]
    company: ProfileInput,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    admin_email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default, skip_serializing)]
    confirm: String,
}

fn render(
    page: &Page,
    token: &str,
    input: &SetupInput,
    errors: &FieldErrors,
    ok: bool,
) -> Result<HttpResponse, AppError> {
    let ctx = context! {
        token, input, errors,
        currencies => CURRENCIES, time_zones => TIME_ZONES,
        min_password => page.state.config.security.min_password_length,
    };
    page.render_form("auth/setup.html", ctx, ok)
}

/// `GET /setup/{token}`.
pub async fn form(page: Page, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    if !page.state.setup.valid(&token) {
        return Err(AppError::NotFound);
    }
    let input = SetupInput {
        company: ProfileInput {
            currency: "CNY".into(),
            time_zone: "Asia/Shanghai".into(),
            language: page.lang.code().into(),
            ..Default::default()
        },
        ..Default::default()
    };
    render(&page, &token, &input, &FieldErrors::new(), true)
}

/// `POST /setup/{token}`: creates the administrator and the company profile in one audited
/// write, kills the link, and signs the administrator in.
pub async fn submit(
    page: Page,
    token: web::Path<String>,
    Form(input): Form<SetupInput>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    if !page.state.setup.valid(&token) {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let profile = input.company.parse().map_err(|e| errors.extend(e)).ok();
    let user_input = UserInput {
        email: input.admin_email.clone(),
        name: input.admin_name.clone(),
        role: "admin".into(),
        ..Default::default()
    };
    let admin = user_input
        .validate()
        .map_err(|e| {
            errors.extend(e.into_iter().map(|(k, v)| (format!("admin_{k}"), v)));
        })
        .ok();
    let min = page.state.config.security.min_password_length;
    if let Err(w) = check_policy(
        &input.password,
        min,
        &[&input.admin_email, &input.admin_name],
    ) {
        errors.insert("password".into(), w.message_key().into());
    } else if input.password != input.confirm {
        errors.insert("confirm".into(), "account.error.confirm".into());
    }
    let (Some(profile), Some(admin)) = (profile, admin) else {
        return render(&page, &token, &input, &errors, false);
    };
    if !errors.is_empty() {
        return render(&page, &token, &input, &errors, false);
    }
    let hash = page.state.hasher.hash(input.password.clone()).await?;
    let session = random_token(32);
    let session_hash = token_hash(&session);
    let ip = page.ip.clone();
    let mut actor = page.actor();
    actor.label = "setup".into();
    let saved = page
        .state
        .db
        .write(actor, move |tx| {
            if users_store::count_admins(tx.conn())? > 0 {
                return Err(AppError::Conflict("setup.error.done".into()));
            }
            let id = users::create(tx, &admin, &hash)?;
            let profile = settings::save(tx, &profile)?;
            let seeded = crate::crm::industries::seed_defaults(tx.conn(), &profile.language)?;
            let pipeline = crate::crm::deals::seed_defaults(tx.conn(), &profile.language)?;
            sessions::create(
                tx.conn(),
                &session_hash,
                id,
                &random_token(32),
                Some(&ip),
                &crate::db::now(),
            )?;
            tx.audit(
                Event::new("setup.complete")
                    .entity("user", id)
                    .change("default_industries", false, seeded)
                    .change("default_pipeline", false, pipeline),
            )?;
            Ok(profile)
        })
        .await?;
    page.state.setup.finish();
    page.state.set_company(saved);
    tracing::info!("First-run setup completed; the setup link is no longer valid");
    let mut res = see_other("/?notice=welcome");
    res.add_cookie(&cookie(
        SESSION_COOKIE,
        session,
        page.state.config.secure_cookies(),
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}
