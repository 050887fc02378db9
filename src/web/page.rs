//! The context every HTML page is rendered with: language, signed-in user, CSRF token,
//! request id, company profile. Handlers take a [`Page`] and call [`Page::render`].

use super::i18n::Lang;
use super::middleware::RequestInfo;
use crate::auth::CurrentUser;
use crate::auth::session::{CsrfToken, Session};
use crate::db::Actor;
use crate::error::AppError;
use crate::server::AppState;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, dev::Payload, web};
use minijinja::{Value, context};
use std::future::{Ready, ready};

/// Cookie holding the language chosen before sign-in.
pub const LANG_COOKIE: &str = "kith_lang";

/// What a page needs to know about its request.
pub struct Page {
    /// Shared state (templates, database, config).
    pub state: web::Data<AppState>,
    /// The language the page is shown in.
    pub lang: Lang,
    /// The signed-in user, if any.
    pub user: Option<CurrentUser>,
    /// The CSRF token forms must carry.
    pub csrf: String,
    /// The request id.
    pub request_id: String,
    /// The client's address.
    pub ip: String,
    /// The request path, to mark the current navigation entry.
    pub path: String,
    notice: Option<String>,
}

/// Chooses the language: the user's choice, then the cookie, then the browser, then the
/// company's default.
pub fn resolve_lang(req: &HttpRequest, user: Option<&CurrentUser>, state: &AppState) -> Lang {
    user.and_then(|u| u.language.as_deref().and_then(Lang::parse))
        .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::negotiate)
        })
        .or_else(|| state.company().and_then(|c| Lang::parse(&c.language)))
        .unwrap_or(Lang::ZhCn)
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Page::from_req(req))
    }
}

impl Page {
    fn from_req(req: &HttpRequest) -> Result<Page, AppError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
        let ext = req.extensions();
        let user = ext.get::<Session>().map(|s| s.user.clone());
        let info = ext.get::<RequestInfo>().cloned().unwrap_or_default();
        let csrf = ext
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        drop(ext);
        Ok(Page {
            lang: resolve_lang(req, user.as_ref(), &state),
            state,
            user,
            csrf,
            request_id: info.id,
            ip: info.ip,
            path: req.path().to_string(),
            notice: notice_key(req.query_string()),
        })
    }

    /// The i18n key of a confirmation named by `?notice=` after a redirect, if known.
    pub fn notice(&self) -> Option<String> {
        self.notice.clone()
    }

    /// The signed-in user, or a redirect to the sign-in page.
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::SignInRequired)
    }

    /// Which records of `area` the signed-in user may `action`: their role's data scope,
    /// plus records shared with them or their department for viewing or editing (see
    /// `auth::scope`, `crm::sharing`).
    pub async fn scope(
        &self,
        area: crate::auth::Area,
        action: crate::auth::Action,
    ) -> Result<crate::auth::scope::Scope, AppError> {
        use crate::auth::scope::Scope;
        use crate::auth::{Action, Level};
        let me = self.user()?;
        let (id, level) = (me.id, me.level(area, action));
        let shares = match action {
            _ if matches!(level, Level::None | Level::All) || !area.owned() => None,
            Action::View => Some(false),
            Action::Edit => Some(true),
            _ => None,
        };
        match (Scope::without_lookup(id, level), shares) {
            (Some(s), None) => Ok(s),
            (known, shares) => {
                let db = self.state.db.clone();
                self.state
                    .db
                    .read(move |c| {
                        let scope = match known {
                            Some(s) => s,
                            // A team is worked out once per user and level until the next
                            // change (or a moment), not again for every page.
                            None => {
                                let key = ("scope", level.as_str());
                                let team =
                                    db.memo_for_in(c, key, id, |c| Scope::of(c, id, level))?;
                                team.as_ref().clone()
                            }
                        };
                        let shared = match shares {
                            Some(edit) => {
                                crate::crm::sharing::store::shared_ids(c, id, area.as_str(), edit)?
                            }
                            None => Vec::new(),
                        };
                        Ok(scope.with_shared(shared))
                    })
                    .await
            }
        }
    }

    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.as_ref().map(|u| u.id),
            label: self
                .user
                .as_ref()
                .map_or_else(|| "anonymous".to_string(), |u| u.email.clone()),
            ip: Some(self.ip.clone()),
            request_id: Some(self.request_id.clone()),
        }
    }

    /// Translates a key into the page's language.
    pub fn tr(&self, key: &str) -> String {
        self.lang.tr(key)
    }

    /// The base context every template gets.
    pub fn context(&self) -> Value {
        let company = self.state.company();
        // Administrators see a banner on every page while backups are failing or late.
        let backup_alert = self
            .user
            .as_ref()
            .filter(|u| u.can(crate::auth::Permission::ManageBackups))
            .and_then(|_| self.state.backup_banner.alert(&self.state));
        // The header bell's count: one capped COUNT on a partial index.
        let unread = self
            .user
            .as_ref()
            .and_then(|u| crate::crm::notifications::unread_badge(&self.state.db, u.id));
        context! {
            lang => self.lang.code(),
            user => self.user,
            csrf => self.csrf,
            request_id => self.request_id,
            path => self.path,
            company => company,
            tz => company.as_ref().map(|c| c.time_zone.clone()),
            langs => Lang::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
            backup_alert,
            unread,
        }
    }

    /// Renders a template with the base context plus `extra`. The base wins: a page can
    /// never replace `user`, `csrf` or `lang` by passing a value of the same name.
    pub fn render(&self, template: &str, extra: Value) -> Result<HttpResponse, AppError> {
        let ctx = context! { ..self.context(), ..extra };
        let html = self.state.templates.render(template, ctx)?;
        Ok(html_response(html))
    }

    /// Renders a form page again with a 422 status, the input kept and errors marked.
    pub fn render_invalid(&self, template: &str, extra: Value) -> Result<HttpResponse, AppError> {
        let mut res = self.render(template, extra)?;
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok(res)
    }

    /// Renders a form page: 200 when `fresh`, otherwise 422 as [`Page::render_invalid`].
    pub fn render_form(
        &self,
        template: &str,
        extra: Value,
        fresh: bool,
    ) -> Result<HttpResponse, AppError> {
        if fresh {
            self.render(template, extra)
        } else {
            self.render_invalid(template, extra)
        }
    }
}

/// A 200 HTML response that is never cached (pages carry personal data and tokens).
pub fn html_response(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// A 303 redirect after a successful form post.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Keeps a `next` parameter to a local path so sign-in cannot redirect off-site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Only notices that exist in the catalog are shown, so the URL cannot inject text.
fn notice_key(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| format!("notice.{v}"))
        .filter(|k| super::i18n::has(Lang::En, k))
}
