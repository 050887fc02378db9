//! The outermost middleware: gives each request an id and a log span named by its route,
//! refuses cross-site state changes, turns errors into pages (HTML) or bodies (JSON) that
//! carry the request id, and adds the security headers to every response.

use super::i18n::Lang;
use super::page::{LANG_COOKIE, resolve_lang};
use crate::error::AppError;
use crate::server::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use minijinja::context;
use std::time::Instant;
use tracing::Instrument;

/// The id and client address of a request.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// Random id shown on error pages and written to the log and the audit log.
    pub id: String,
    /// The peer's IP address.
    pub ip: String,
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The same policy for the public lead forms, which other sites show in a frame.
const PUBLIC_FORM_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                   script-src 'self'; form-action 'self'; frame-ancestors *; base-uri 'none'; \
                   object-src 'none'";

/// A public lead form (`/f/{token}`): embedded in other sites' pages and posted from them.
/// Its handler reads no session and acts for nobody (it only ever creates a lead, as the
/// system), so a cross-site post can do nothing the poster could not do directly.
fn is_public_form(path: &str) -> bool {
    path.starts_with("/f/")
}

fn is_api(path: &str) -> bool {
    crate::auth::bearer::is_api(path) || path == "/healthz"
}

/// Whether a state-changing request comes from another site, judged by `Origin`.
fn cross_site(req: &ServiceRequest) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_api(req.path())
        || is_public_form(req.path())
    {
        return false;
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return false;
    };
    let host = req.connection_info().host().to_string();
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    origin == "null" || origin_host != host
}

/// See the module docs.
pub async fn request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let info = RequestInfo {
        id: crate::auth::random_token(8),
        ip: req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    };
    req.extensions_mut().insert(info.clone());
    let route = route_of(req.path());
    let method = req.method().to_string();
    let quiet = route == "/healthz" || route.starts_with("/static");
    let framed = is_public_form(req.path());
    let span = tracing::info_span!("http", http.method = %method, http.route = %route, request.id = %info.id);

    let res = if cross_site(&req) {
        let (http_req, _) = req.into_parts();
        let mut res =
            HttpResponse::from_error(actix_web::Error::from(AppError::Csrf)).map_into_boxed_body();
        // The body was not read, so this connection cannot carry another request.
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        ServiceResponse::new(http_req, res)
    } else {
        next.call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body()
    };
    let mut res = render_error(res, &info.id);
    let status = res.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if quiet {
            tracing::debug!(
                http.status = status,
                duration_ms = ms,
                "{method} {route} {status}"
            );
        } else {
            tracing::info!(
                http.status = status,
                duration_ms = ms,
                "{method} {route} {status}"
            );
        }
    });
    let h = res.headers_mut();
    let set = |h: &mut actix_web::http::header::HeaderMap, k: &'static str, v: &str| {
        if let Ok(v) = header::HeaderValue::from_str(v) {
            h.insert(header::HeaderName::from_static(k), v);
        }
    };
    set(
        h,
        "content-security-policy",
        if framed { PUBLIC_FORM_CSP } else { CSP },
    );
    set(h, "x-content-type-options", "nosniff");
    if !framed {
        set(h, "x-frame-options", "DENY");
    }
    set(h, "referrer-policy", "same-origin");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    set(h, "x-request-id", &info.id);
    Ok(res)
}

/// Replaces the empty body of a failed response with a page or JSON body.
fn render_error(res: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let Some(err) = res.response().error() else {
        return res;
    };
    let status = res.status();
    let app = err.as_error::<AppError>();
    let (code, message) = match app {
        Some(e) => (e.code(), user_message(e)),
        None => (generic_code(status), None),
    };
    if let Some(AppError::Internal(cause)) = app {
        tracing::error!(request.id = %request_id, "Request {request_id} failed: {cause:#}");
    } else if app.is_none() && status.is_server_error() {
        tracing::error!(request.id = %request_id, "Request {request_id} failed: {err}");
    }
    let req = res.request().clone();
    let response = if is_api(req.path()) {
        let fields = match app {
            Some(AppError::Validation { fields, .. }) => serde_json::to_value(fields).ok(),
            _ => None,
        };
        let mut error = serde_json::json!({
            "code": code,
            "message": message.clone().unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string()),
            "fields": fields,
            "request_id": request_id,
        });
        // A possible duplicate says which records it looks like.
        if let (Some(AppError::Duplicate { duplicates, .. }), Some(error)) =
            (app, error.as_object_mut())
        {
            error.insert("duplicates".into(), duplicates.clone().into());
        }
        HttpResponse::build(status).json(serde_json::json!({ "error": error }))
    } else if matches!(app, Some(AppError::SignInRequired)) {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let target = format!(
            "/login?next={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        );
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .finish()
    } else {
        error_page(&req, status, code, message, request_id)
    };
    // Keep cookies set on the way (an expired session's removal, a new CSRF cookie), and
    // the headers that tell a client what to do next.
    let mut response = response;
    for name in [header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::ETAG] {
        if let Some(v) = res.response().headers().get(&name).cloned() {
            response.headers_mut().insert(name, v);
        }
    }
    let cookies: Vec<_> = res.response().cookies().map(|c| c.into_owned()).collect();
    for c in cookies {
        let _ = response.add_cookie(&c);
    }
    res.into_response(response)
}

fn user_message(e: &AppError) -> Option<String> {
    match e {
        AppError::Validation { message, .. } | AppError::Duplicate { message, .. } => {
            Some(message.clone())
        }
        AppError::Conflict(m)
        | AppError::Denied(m)
        | AppError::PreconditionFailed(m)
        | AppError::MethodNotAllowed(m) => Some(m.clone()),
        AppError::PreconditionRequired => {
            Some("send the version you changed in an If-Match header".into())
        }
        _ => None,
    }
}

fn generic_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        _ if status.is_server_error() => "internal",
        _ => "error",
    }
}

fn error_page(
    req: &HttpRequest,
    status: StatusCode,
    code: &str,
    message: Option<String>,
    request_id: &str,
) -> HttpResponse {
    let state = req.app_data::<web::Data<AppState>>();
    let user = req
        .extensions()
        .get::<crate::auth::session::Session>()
        .map(|s| s.user.clone());
    let lang = state
        .map(|s| resolve_lang(req, user.as_ref(), s))
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .unwrap_or(Lang::En);
    let html = state.and_then(|s| {
        s.templates
            .render(
                "errors/error.html",
                context! {
                    lang => lang.code(),
                    status => status.as_u16(),
                    code => code,
                    message => message,
                    request_id => request_id,
                    company => s.company(),
                },
            )
            .ok()
    });
    let html = html.unwrap_or_else(|| {
        format!("<!doctype html><title>{status}</title><p>{status}. Request id: {request_id}</p>")
    });
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// The path as a route for the request log: numbers become `{id}`, and what follows
/// `/setup/`, `/f/` and `/static/`, or any long mixed segment, becomes `{token}` or `{path}`,
/// so no secret link or file name reaches the log. (Asking the router for the pattern walked
/// every route a second time on each request.)
pub fn route_of(path: &str) -> String {
    let mut route = String::with_capacity(path.len());
    let mut previous = "";
    for segment in path.split('/').skip(1) {
        route.push('/');
        let long_mixed = segment.len() > 20 && segment.bytes().any(|b| b.is_ascii_digit());
        match segment {
            _ if previous == "static" => {
                route.push_str("{path}");
                break;
            }
            _ if matches!(previous, "setup" | "f") || long_mixed => route.push_str("{token}"),
            _ if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) => {
                route.push_str("{id}")
            }
            _ => route.push_str(segment),
        }
        previous = segment;
    }
    if route.is_empty() {
        route.push('/');
    }
    route
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn routes_name_the_page_without_ids_tokens_or_file_names() {
        for (path, route) in [
            ("/", "/"),
            ("/contacts", "/contacts"),
            ("/contacts/123/edit", "/contacts/{id}/edit"),
            ("/api/v1/deals/9", "/api/v1/deals/{id}"),
            ("/setup/0f3a9c2b7d", "/setup/{token}"),
            ("/f/abcdef123456/thanks", "/f/{token}/thanks"),
            ("/static/app.3f2a.css", "/static/{path}"),
            ("/static/img/logo.png", "/static/{path}"),
            ("/imports/5/errors.csv", "/imports/{id}/errors.csv"),
            ("/x/a1b2c3d4e5f6a7b8c9d0e1f2", "/x/{token}"),
            ("/healthz", "/healthz"),
            ("/contacts/", "/contacts/"),
        ] {
            assert_eq!(route_of(path), route, "{path}");
        }
    }
}
