//! Admin-defined custom fields (text, number, date, select, multi-select, checkbox) on
//! companies and contacts: defined once, then shown on forms, record pages, lists and filters.
//! Values are kept per record as a JSON object keyed by the field's stable key.

pub mod pages;
pub mod store;

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The kinds of custom field.
pub const KINDS: &[&str] = &[
    "text",
    "number",
    "date",
    "select",
    "multiselect",
    "checkbox",
];

/// A custom field definition.
#[derive(Debug, Clone, Serialize)]
pub struct CustomField {
    /// Id.
    pub id: i64,
    /// `companies` or `contacts`.
    pub entity: String,
    /// Stable key in the JSON values (`f1`, `f2`, …).
    pub key: String,
    /// Label shown to users.
    pub label: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// Choices for select and multi-select.
    pub options: Vec<String>,
    /// Must be filled in.
    pub required: bool,
    /// Shown as a list column.
    pub in_list: bool,
}

/// The custom fields of the kind of record stored in `table`, remembered between changes
/// (see `db::memo`).
pub async fn definitions(
    db: &crate::db::Db,
    table: &'static str,
) -> Result<std::sync::Arc<Vec<CustomField>>, crate::error::AppError> {
    db.memo(("custom_fields", table), move |c| {
        store::for_entity(c, table)
    })
    .await
}

/// The form name of a custom field's input (`cf_f1`; multi-select options add `__N`).
pub fn input_name(key: &str) -> String {
    format!("cf_{key}")
}

/// Parses the custom fields of a submitted form into a JSON object; errors are keyed by
/// input name.
pub fn parse(
    fields: &[CustomField],
    form: &HashMap<String, String>,
) -> Result<Value, BTreeMap<String, String>> {
    let mut out = Map::new();
    let mut errors = BTreeMap::new();
    for f in fields {
        let name = input_name(&f.key);
        let raw = form
            .get(&name)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let value = match f.kind.as_str() {
            // An unticked box is simply not stored, so it does not show up as a change.
            "checkbox" => Ok(if !raw.is_empty() && raw != "0" {
                Value::Bool(true)
            } else {
                Value::Null
            }),
            "multiselect" => {
                let chosen: Vec<Value> = f
                    .options
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        form.get(&format!("{name}__{i}"))
                            .is_some_and(|v| !v.is_empty())
                    })
                    .map(|(_, o)| Value::String(o.clone()))
                    .collect();
                if chosen.is_empty() {
                    Ok(Value::Null)
                } else {
                    Ok(Value::Array(chosen))
                }
            }
            _ if raw.is_empty() => Ok(Value::Null),
            "number" => raw
                .replace([',', '，'], "")
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Value::from)
                .ok_or("field.error.number"),
            "date" => chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| "followup.error.date"),
            "select" => {
                if f.options.contains(&raw) {
                    Ok(Value::String(raw))
                } else {
                    Err("record.error.choice")
                }
            }
            _ => {
                if raw.chars().count() > 500 {
                    Err("record.error.too_long")
                } else {
                    Ok(Value::String(raw))
                }
            }
        };
        match value {
            Ok(Value::Null) if f.required => {
                errors.insert(name, "record.error.required".to_string());
            }
            Ok(Value::Null) => {}
            Ok(v) => {
                out.insert(f.key.clone(), v);
            }
            Err(key) => {
                errors.insert(name, key.to_string());
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// A stored value as shown and as put back in a form's text input.
pub fn display(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Bool(b)) => {
            if *b {
                "✓".into()
            } else {
                String::new()
            }
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    }
}

/// Form inputs for a record's stored custom values (for the edit form).
pub fn form_values(fields: &[CustomField], stored: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for f in fields {
        let name = input_name(&f.key);
        let v = stored.get(&f.key);
        match f.kind.as_str() {
            "multiselect" => {
                let chosen: Vec<&str> = v
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (i, o) in f.options.iter().enumerate() {
                    if chosen.contains(&o.as_str()) {
                        out.insert(format!("{name}__{i}"), "1".into());
                    }
                }
            }
            "checkbox" => {
                if v.and_then(Value::as_bool) == Some(true) {
                    out.insert(name, "1".into());
                }
            }
            "number" => {
                out.insert(name, v.map(|n| n.to_string()).unwrap_or_default());
            }
            _ => {
                out.insert(name, display(v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, kind: &str, options: &[&str], required: bool) -> CustomField {
        CustomField {
            id: 1,
            entity: "contacts".into(),
            key: key.into(),
            label: key.into(),
            kind: kind.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
            required,
            in_list: false,
        }
    }

    #[test]
    fn each_kind_is_parsed_and_bad_values_are_named() {
        let fields = vec![
            field("f1", "number", &[], false),
            field("f2", "date", &[], false),
            field("f3", "select", &["A级", "B级"], true),
            field("f4", "multiselect", &["微信", "电话", "邮件"], false),
            field("f5", "checkbox", &[], false),
        ];
        let form: HashMap<String, String> = [
            ("cf_f1", "1,200.5"),
            ("cf_f2", "2026-12-01"),
            ("cf_f3", "A级"),
            ("cf_f4__0", "1"),
            ("cf_f4__2", "1"),
            ("cf_f5", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = parse(&fields, &form).unwrap();
        assert_eq!(v["f1"], 1200.5);
        assert_eq!(v["f4"], serde_json::json!(["微信", "邮件"]));
        assert_eq!(v["f5"], true);
        assert_eq!(
            form_values(&fields, &v).get("cf_f4__2").map(String::as_str),
            Some("1")
        );
        let bad: HashMap<String, String> =
            [("cf_f1", "abc"), ("cf_f2", "2026-13-01"), ("cf_f3", "C级")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let errors = parse(&fields, &bad).unwrap_err();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            vec!["cf_f1", "cf_f2", "cf_f3"]
        );
    }
}
