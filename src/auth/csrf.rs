//! CSRF protection: every form carries the request's token (the session's once signed
//! in, a cookie's before), and [`Form`] refuses a body without the right one. The request
//! middleware also refuses a state-changing request whose `Origin` is another site.

use super::same_secret;
use super::session::CsrfToken;
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web::Bytes};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// A URL-encoded form whose CSRF token has been checked. Use it for every form post.
pub struct Form<T>(pub T);

/// Whether `sent` is the token this request expects.
pub fn token_ok(req: &HttpRequest, sent: Option<&str>) -> bool {
    let expected = req.extensions().get::<CsrfToken>().map(|t| t.0.clone());
    matches!((expected, sent), (Some(e), Some(s)) if same_secret(&e, s))
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body =
                body.await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(actix_web::error::PayloadError::Overflow) => AppError::TooLarge,
                        _ => AppError::invalid("form", "the form could not be read"),
                    })?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::invalid("form", "the form could not be read"))?;
            let sent = pairs
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str());
            if !token_ok(&req, sent) {
                return Err(AppError::Csrf);
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(Form)
                .map_err(|e| AppError::Validation {
                    message: "the form was incomplete".into(),
                    fields: BTreeMap::from([("form".to_string(), e.to_string())]),
                })
        })
    }
}
