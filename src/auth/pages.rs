//! Sign-in, sign-out and the language switch.

use super::csrf::Form;
use super::session::{SESSION_COOKIE, Session, cookie, removal};
use super::{random_token, store, token_hash};
use crate::audit::Event;
use crate::crm::users::store as users;
use crate::error::AppError;
use crate::web::i18n::Lang;
use crate::web::page::{LANG_COOKIE, Page, safe_next, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// `?next=` on the sign-in page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_page(
    page: &Page,
    email: &str,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut res = page.render(
        "auth/login.html",
        context! {
            email, next, error,
            setup_pending => page.state.setup.pending(),
        },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /login`.
pub async fn login_form(page: Page, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let next = safe_next(q.next.as_deref());
    if page.user.is_some() {
        return Ok(see_other(&next));
    }
    login_page(&page, "", &next, None, StatusCode::OK)
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: throttled per account and address; the same answer whether or not the
/// account exists; a new session id on every sign-in.
pub async fn login(
    req: HttpRequest,
    page: Page,
    Form(input): Form<LoginInput>,
) -> Result<HttpResponse, AppError> {
    let state = page.state.clone();
    let email = input.email.trim().to_lowercase();
    let next = safe_next(Some(&input.next));
    if let Err(minutes) = state.throttle.check(&email, &page.ip) {
        let message = page
            .tr("login.throttled")
            .replace("{minutes}", &minutes.to_string());
        return login_page(
            &page,
            &email,
            &next,
            Some(message),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let lookup = email.clone();
    let user = state
        .db
        .read(move |c| Ok(users::find_by_email(c, &lookup)?))
        .await?;
    let active = user.filter(|u| u.disabled_at.is_none());
    let stored = active.as_ref().map(|u| u.password_hash.clone());
    let ok = state.hasher.verify(input.password, stored).await?;
    let mut actor = page.actor();
    let Some(user) = active.filter(|_| ok) else {
        state.throttle.record_failure(&email, &page.ip);
        actor.label = email.chars().take(254).collect();
        state
            .db
            .write(actor, |tx| tx.audit(Event::new("login.failed")))
            .await?;
        let message = page.tr("login.failed");
        return login_page(
            &page,
            &email,
            &next,
            Some(message),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.throttle.clear_account(&email);
    let token = random_token(32);
    let new_hash = token_hash(&token);
    let old_hash = req.cookie(SESSION_COOKIE).map(|c| token_hash(c.value()));
    let ip = page.ip.clone();
    actor.user_id = Some(user.id);
    actor.label = user.email.clone();
    let user_id = user.id;
    state
        .db
        .write(actor, move |tx| {
            if let Some(old) = old_hash {
                store::delete(tx.conn(), &old)?;
            }
            store::create(
                tx.conn(),
                &new_hash,
                user_id,
                &random_token(32),
                Some(&ip),
                &crate::db::now(),
            )?;
            tx.audit(Event::new("login.success").entity("user", user_id))
        })
        .await?;
    let mut res = see_other(&next);
    res.add_cookie(&cookie(
        SESSION_COOKIE,
        token,
        state.config.secure_cookies(),
    ))
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

/// Any form that carries nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`: ends the session on the server, not just the cookie.
pub async fn logout(
    req: HttpRequest,
    page: Page,
    Form(_): Form<Empty>,
) -> Result<HttpResponse, AppError> {
    let session = req.extensions().get::<Session>().cloned();
    if let Some(s) = session {
        let user_id = s.user.id;
        page.state
            .db
            .write(page.actor(), move |tx| {
                store::delete(tx.conn(), &s.token_hash)?;
                tx.audit(Event::new("logout").entity("user", user_id))
            })
            .await?;
    }
    let mut res = see_other("/login");
    res.add_cookie(&removal(SESSION_COOKIE, page.state.config.secure_cookies()))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

/// The language switch.
#[derive(Deserialize)]
pub struct LanguageInput {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /language`: remembered on the user (audited) and in a cookie.
pub async fn language(
    page: Page,
    Form(input): Form<LanguageInput>,
) -> Result<HttpResponse, AppError> {
    let lang =
        Lang::parse(&input.lang).ok_or_else(|| AppError::invalid("lang", "language.error"))?;
    if let Some(user) = &page.user {
        let (id, before) = (user.id, user.language.clone());
        if before.as_deref() != Some(lang.code()) {
            page.state
                .db
                .write(page.actor(), move |tx| {
                    users::set_language(tx.conn(), id, lang.code())?;
                    tx.audit(Event::new("user.update").entity("user", id).change(
                        "language",
                        before,
                        lang.code(),
                    ))
                })
                .await?;
        }
    }
    let mut res = see_other(&safe_next(Some(&input.next)));
    let mut c = cookie(
        LANG_COOKIE,
        lang.code().to_string(),
        page.state.config.secure_cookies(),
    );
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    res.add_cookie(&c)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}
