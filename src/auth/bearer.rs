//! API authentication: `/api/` requests carry `Authorization: Bearer TOKEN` and never a
//! session cookie, so a browser visiting another site cannot make them (no CSRF), and a
//! token answers for exactly one user. The token's user goes into the request as a
//! [`Session`], so handlers see the same signed-in user as pages do; a read-only token may
//! only read; each token has its own rate limit.

use super::session::Session;
use crate::crm::tokens::store;
use crate::error::AppError;
use crate::server::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

/// Last-used times are written back at most this often.
const TOUCH_EVERY_SECS: i64 = 60;

/// The API token of a request.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Token id.
    pub id: i64,
    /// Whether it may change data.
    pub can_write: bool,
}

/// Whether a path belongs to the API.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn reject<B>(
    req: ServiceRequest,
    err: AppError,
    retry_after: Option<u64>,
) -> ServiceResponse<EitherBody<B>> {
    let unauthorized = matches!(err, AppError::SignInRequired);
    let mut res = req.error_response(err);
    let h = res.headers_mut();
    if unauthorized {
        h.insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    if let Some(secs) = retry_after {
        h.insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    res.map_into_right_body()
}

/// Middleware: see the module docs. Requests without a token go on unauthenticated (the
/// handlers answer 401, except the public API description).
pub async fn load<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if !is_api(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let Some(token) = bearer(&req) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let hash = super::token_hash(&token);
    let found = state
        .db
        .read(move |c| Ok(store::find_live(c, &hash)?))
        .await?;
    let Some(found) = found else {
        return Ok(reject(req, AppError::SignInRequired, None));
    };
    let key = format!("{}\u{0}{}", state.config.data.dir.display(), found.id);
    if let Err(wait) = state.api_rate.check(&key) {
        return Ok(reject(
            req,
            AppError::TooManyRequests,
            Some(wait.as_secs().max(1)),
        ));
    }
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && !found.can_write {
        return Ok(reject(
            req,
            AppError::Denied("this token is read-only".into()),
            None,
        ));
    }
    let now = chrono::Utc::now();
    let stale = found
        .last_used_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_none_or(|t| (now - t.with_timezone(&chrono::Utc)).num_seconds() >= TOUCH_EVERY_SECS);
    if stale {
        let (db, id) = (state.db.clone(), found.id);
        web::block(move || db.bookkeeping_blocking(|c| store::touch(c, id, &crate::db::now())))
            .await??;
    }
    req.extensions_mut().insert(ApiToken {
        id: found.id,
        can_write: found.can_write,
    });
    req.extensions_mut().insert(Session {
        user: found.user,
        token_hash: String::new(),
    });
    Ok(next.call(req).await?.map_into_left_body())
}
