//! Server-side sessions: the cookie carries a random token, the database keeps its hash.
//! The middleware here loads the session into each request and ends expired ones.

use super::{CurrentUser, random_token, store, token_hash};
use crate::db;
use crate::server::AppState;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use chrono::{DateTime, Utc};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kith_session";
/// Name of the CSRF cookie used before sign-in.
pub const CSRF_COOKIE: &str = "kith_csrf";
/// Activity is written back at most this often, to keep reads cheap.
const TOUCH_EVERY_SECS: i64 = 60;

/// The signed-in session of a request.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is signed in.
    pub user: CurrentUser,
    /// SHA-256 of the cookie token, the session's key.
    pub token_hash: String,
}

/// The CSRF token forms of this request must carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Builds a cookie with the attributes every Kith cookie has.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A cookie that removes `name` from the browser.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure);
    c.set_max_age(CookieDuration::ZERO);
    c
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a stored session may still be used.
fn alive(row: &store::SessionRow, state: &AppState, now: DateTime<Utc>) -> bool {
    let idle = chrono::Duration::minutes(i64::from(state.config.session.idle_timeout_minutes));
    let life = chrono::Duration::hours(i64::from(state.config.session.max_lifetime_hours));
    let (Some(seen), Some(created)) = (parse_time(&row.last_seen_at), parse_time(&row.created_at))
    else {
        return false;
    };
    !row.user_disabled && now - seen < idle && now - created < life
}

/// Middleware: loads the session named by the cookie, ends it if it expired or its user
/// was disabled, and makes sure every visitor has a CSRF token.
pub async fn load(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    if path.starts_with("/static/") || path == "/healthz" || super::bearer::is_api(path) {
        return next.call(req).await;
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let secure = state.config.secure_cookies();
    let mut set_cookies = Vec::new();
    let mut csrf = None;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let hash = token_hash(c.value());
        let lookup = hash.clone();
        let found = state
            .db
            .read(move |conn| Ok(store::find(conn, &lookup)?))
            .await?;
        let now = Utc::now();
        match found {
            Some(row) if alive(&row, &state, now) => {
                let stale = parse_time(&row.last_seen_at)
                    .is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECS);
                if stale {
                    let (db, h) = (state.db.clone(), hash.clone());
                    web::block(move || {
                        db.bookkeeping_blocking(|c| store::touch(c, &h, &db::now()))
                    })
                    .await??;
                }
                csrf = Some(row.csrf_token.clone());
                req.extensions_mut().insert(Session {
                    user: row.user,
                    token_hash: hash,
                });
            }
            other => {
                if other.is_some() {
                    let db = state.db.clone();
                    web::block(move || db.bookkeeping_blocking(|c| store::delete(c, &hash)))
                        .await??;
                }
                set_cookies.push(removal(SESSION_COOKIE, secure));
            }
        }
    }
    let csrf = match csrf.or_else(|| req.cookie(CSRF_COOKIE).map(|c| c.value().to_string())) {
        Some(t) if t.len() == 64 => t,
        _ => {
            let t = random_token(32);
            set_cookies.push(cookie(CSRF_COOKIE, t.clone(), secure));
            t
        }
    };
    req.extensions_mut().insert(CsrfToken(csrf));
    let mut res = next.call(req).await?;
    for c in set_cookies {
        // A handler that set the same cookie (sign-in, sign-out) has the last word.
        let already = res
            .response()
            .cookies()
            .any(|existing| existing.name() == c.name());
        if !already {
            res.response_mut().add_cookie(&c)?;
        }
    }
    Ok(res)
}

/// Periodically removes expired sessions so the table does not grow.
pub fn sweep(state: &AppState) -> Result<usize, crate::error::AppError> {
    let now = Utc::now();
    let fmt = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let idle =
        fmt(now - chrono::Duration::minutes(i64::from(state.config.session.idle_timeout_minutes)));
    let life =
        fmt(now - chrono::Duration::hours(i64::from(state.config.session.max_lifetime_hours)));
    state
        .db
        .bookkeeping_blocking(|c| store::delete_expired(c, &idle, &life))
}
