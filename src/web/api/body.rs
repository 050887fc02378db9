//! Reading a JSON request body of the API: which keys a collection takes, and each value as
//! the text, id or yes/no the feature's form parsing expects.

use super::form_text;
use crate::error::AppError;
use serde_json::{Map, Value};

/// Refuses the first key that is neither one of `writable` nor one of `read_only` (keys a
/// client may send back as it read them; they are ignored), naming it, so a typo is not
/// silently dropped.
pub fn check_keys(
    body: &Map<String, Value>,
    writable: &[&str],
    read_only: &[&str],
) -> Result<(), AppError> {
    match body
        .keys()
        .find(|k| !writable.contains(&k.as_str()) && !read_only.contains(&k.as_str()))
    {
        Some(k) => Err(AppError::invalid(k, "no such field")),
        None => Ok(()),
    }
}

/// A value as the text a form would carry (`None` when the key is absent); an object or an
/// array is refused naming the key.
pub fn text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, AppError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Object(_) | Value::Array(_)) => {
            Err(AppError::invalid(key, "expected a single value"))
        }
        Some(v) => Ok(Some(form_text(v))),
    }
}

/// An id (`None` when absent or null); anything but a whole number is refused naming the key.
pub fn id(body: &Map<String, Value>, key: &str) -> Result<Option<i64>, AppError> {
    let bad = || AppError::invalid(key, "expected a whole number (an id)");
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// A yes/no value (`None` when absent); anything but `true` or `false` is refused naming
/// the key.
pub fn boolean(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, AppError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AppError::invalid(key, "expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn unknown_keys_are_named_and_read_only_ones_ignored() {
        let b = body(json!({"name": "x", "id": 3, "nmae": "y"}));
        let Err(AppError::Validation { fields, .. }) = check_keys(&b, &["name"], &["id"]) else {
            panic!("nmae is refused");
        };
        assert!(fields.contains_key("nmae"));
        assert!(check_keys(&body(json!({"name": 1, "id": 2})), &["name"], &["id"]).is_ok());
    }

    #[test]
    fn values_are_read_as_their_forms_expect() {
        let b = body(json!({"n": 12.5, "s": "a", "o": {}, "i": "7", "bad": 1.5, "t": true}));
        assert_eq!(text(&b, "n").unwrap().as_deref(), Some("12.5"));
        assert!(text(&b, "o").is_err());
        assert_eq!(text(&b, "missing").unwrap(), None);
        assert_eq!(id(&b, "i").unwrap(), Some(7));
        assert!(id(&b, "bad").is_err());
        assert_eq!(boolean(&b, "t").unwrap(), Some(true));
        assert!(boolean(&b, "s").is_err());
    }
}
