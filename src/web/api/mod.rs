//! What every JSON API handler shares: reading a JSON object body, the `{"data": …}`
//! answers, opaque keyset cursors, the `If-Match` version of a change and the `ETag` that
//! goes with it, field errors in the request's language. Reading list requests is
//! [`list`], reading bodies [`body`].

pub mod body;
pub mod list;

use crate::error::AppError;
use crate::web::page::Page;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web::Bytes};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Largest JSON body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// A request body that is one JSON object.
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest for JsonObject {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|_| AppError::TooLarge)?;
            if body.len() > MAX_BODY {
                return Err(AppError::TooLarge);
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => Ok(JsonObject(map)),
                _ => Err(AppError::invalid(
                    "body",
                    "the request body must be a JSON object",
                )),
            }
        })
    }
}

/// `200 {"data": data}`.
pub fn ok(data: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": data }))
}

/// `201 {"data": data}` with the new resource's location.
pub fn created(location: &str, data: Value) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location.to_string()))
        .json(json!({ "data": data }))
}

/// `200 {"data": [...], "next_cursor": ...}`.
pub fn page(data: Vec<Value>, next_cursor: Option<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "data": data, "next_cursor": next_cursor }))
}

/// `204`.
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// A keyset position, opaque to clients: the sort it belongs to, the last row's sort value
/// and id.
pub fn encode_cursor(sort: &str, desc: bool, value: &str, id: i64) -> String {
    hex::encode(json!([sort, desc, value, id]).to_string())
}

/// Reads a cursor made by [`encode_cursor`] for this sort; a cursor of another sort or a
/// damaged one is a validation error naming `cursor`.
pub fn decode_cursor(cursor: &str, sort: &str, desc: bool) -> Result<(String, i64), AppError> {
    let bad = || AppError::invalid("cursor", "the cursor is not valid for this list and sort");
    let bytes = hex::decode(cursor).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    match v.as_array().map(Vec::as_slice) {
        Some(
            [
                Value::String(s),
                Value::Bool(d),
                Value::String(value),
                Value::Number(id),
            ],
        ) if s == sort && *d == desc => Ok((value.clone(), id.as_i64().ok_or_else(bad)?)),
        _ => Err(bad()),
    }
}

/// The page size asked for: 1 to 200, 50 by default.
pub fn limit(raw: Option<&String>) -> Result<usize, AppError> {
    match raw.map(|s| s.trim()) {
        None | Some("") => Ok(50),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=200).contains(&n) => Ok(n),
            _ => Err(AppError::invalid(
                "limit",
                "limit must be between 1 and 200",
            )),
        },
    }
}

/// The version a change was made on: the `If-Match` header (`"3"`, `W/"3"` or `3`), or a
/// `version` in the body. Without either the change is refused (428), so a client cannot
/// overwrite a change it never saw.
pub fn version(req: &HttpRequest, body: &Map<String, Value>) -> Result<i64, AppError> {
    if let Some(v) = req.headers().get(header::IF_MATCH) {
        let text = v.to_str().unwrap_or_default().trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        return text.parse().map_err(|_| {
            AppError::invalid(
                "If-Match",
                "If-Match must be the record's version, e.g. \"3\"",
            )
        });
    }
    match body.get("version") {
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| AppError::invalid("version", "version must be a whole number")),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| AppError::invalid("version", "version must be a whole number")),
        _ => Err(AppError::PreconditionRequired),
    }
}

/// A JSON value as the text a form would carry: strings as they are, numbers and booleans
/// written out, null as empty.
pub fn form_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => String::new(),
        other => other.to_string(),
    }
}

/// An id in a path; anything else is a record that does not exist.
pub fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// Adds the `ETag` of a version to an answer, for the next `If-Match`.
pub fn with_etag(mut res: HttpResponse, version: i64) -> HttpResponse {
    if let Ok(v) = header::HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// A change refused because the row is no longer at the version in `If-Match`.
pub fn changed(sent: i64, now: i64) -> AppError {
    AppError::PreconditionFailed(format!(
        "the record changed since version {sent}; it is at version {now} now"
    ))
}

/// Field errors (i18n keys by form field) as the API answers them: each field renamed to
/// what the API calls it, each problem in the request's language.
pub fn invalid(
    page: &Page,
    errors: BTreeMap<String, String>,
    rename: impl Fn(&str) -> String,
) -> AppError {
    let fields = errors
        .into_iter()
        .map(|(k, v)| (rename(&k), page.tr(&v)))
        .collect();
    AppError::Validation {
        message: page.tr("api.invalid"),
        fields,
    }
}

/// An error of a feature's write path with its i18n key put into the request's language,
/// and the field names of a validation error renamed as in [`invalid`].
pub fn translated(page: &Page, err: AppError, rename: impl Fn(&str) -> String) -> AppError {
    match err {
        AppError::Validation { fields, .. } => invalid(page, fields, rename),
        AppError::Conflict(key) => AppError::Conflict(page.tr(&key)),
        other => other,
    }
}

/// A validation error with its field names renamed (e.g. a key of a quote line as
/// `lines.2.KEY`); other errors as they are.
pub fn translated_fields(err: AppError, rename: impl Fn(&str) -> String) -> AppError {
    match err {
        AppError::Validation { message, fields } => AppError::Validation {
            message,
            fields: fields.into_iter().map(|(k, v)| (rename(&k), v)).collect(),
        },
        other => other,
    }
}

/// The answer to a method a collection does not take: 405 saying what it takes instead.
pub async fn not_allowed(what: &'static str) -> Result<HttpResponse, AppError> {
    Err(AppError::MethodNotAllowed(what.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_for_its_own_sort() {
        let c = encode_cursor("name", false, "张伟", 42);
        assert_eq!(
            decode_cursor(&c, "name", false).unwrap(),
            ("张伟".into(), 42)
        );
        assert!(decode_cursor(&c, "name", true).is_err());
        assert!(decode_cursor(&c, "updated_at", false).is_err());
        assert!(decode_cursor("zz", "name", false).is_err());
    }

    #[test]
    fn limits_stay_within_bounds() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some(&"200".to_string())).unwrap(), 200);
        assert!(limit(Some(&"0".to_string())).is_err());
        assert!(limit(Some(&"201".to_string())).is_err());
        assert!(limit(Some(&"x".to_string())).is_err());
    }
}
