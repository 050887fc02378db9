//! Field rules applied to records: a hidden field is blanked before anything is shown, and
//! a hidden or read-only field keeps its stored value whatever a request carries.

use super::store::Record;
use super::{Entity, Kind, Values};
use crate::auth::FieldRule;
use serde_json::Value;
use std::collections::BTreeMap;

/// A role's rules on one entity: field name (custom fields as `custom.KEY`) to rule.
pub type Rules = BTreeMap<String, FieldRule>;

/// The custom field key a rule name refers to.
fn custom_key(name: &str) -> Option<&str> {
    name.strip_prefix("custom.")
}

/// Fields this role never sees.
pub fn hidden(rules: &Rules) -> Vec<String> {
    rules
        .iter()
        .filter(|(_, r)| **r == FieldRule::Hidden)
        .map(|(f, _)| f.clone())
        .collect()
}

/// Blanks the fields this role may not see.
pub fn redact(e: &Entity, rules: &Rules, values: &mut Values) {
    for name in hidden(rules) {
        match custom_key(&name) {
            Some(key) => {
                if let Some(Value::Object(custom)) = values.get_mut("custom") {
                    custom.remove(key);
                }
            }
            None => {
                if let Some(f) = e.field(&name) {
                    values.insert(f.name.into(), Value::Null);
                    if f.kind == Kind::Phone {
                        values.insert(format!("{}_digits", f.name), Value::Null);
                    }
                }
            }
        }
    }
}

/// [`redact`] on a whole record, including the names shown for hidden links.
pub fn redact_record(e: &Entity, rules: &Rules, rec: &mut Record) {
    redact(e, rules, &mut rec.values);
    let hidden = hidden(rules);
    let is_hidden = |n: &str| hidden.iter().any(|h| h == n);
    if is_hidden("company_id") {
        rec.company_name = None;
    }
    if is_hidden("industry_id") {
        rec.industry_name = None;
    }
    if is_hidden("owner_id") {
        rec.owner_name = None;
    }
}

/// Puts back the stored value (`None` when creating: empty, or the first choice of a
/// required list) of every field the role may not change, so a crafted request changes
/// nothing it should not.
pub fn protect(e: &Entity, rules: &Rules, values: &mut Values, stored: Option<&Values>) {
    for name in rules.keys() {
        match custom_key(name) {
            Some(key) => {
                let old = stored
                    .and_then(|s| s.get("custom"))
                    .and_then(|c| c.get(key))
                    .cloned();
                let custom = values
                    .entry("custom".to_string())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(map) = custom {
                    match old {
                        Some(v) => map.insert(key.to_string(), v),
                        None => map.remove(key),
                    };
                }
            }
            None => {
                let Some(f) = e.field(name) else { continue };
                let mut columns = vec![f.name.to_string()];
                if f.kind == Kind::Phone {
                    columns.push(format!("{}_digits", f.name));
                }
                for c in columns {
                    let v = match stored {
                        Some(s) => s.get(&c).cloned().unwrap_or(Value::Null),
                        None => match f.kind {
                            Kind::Select(options) if f.required => {
                                options.first().map_or(Value::Null, |o| Value::from(*o))
                            }
                            _ => Value::Null,
                        },
                    };
                    values.insert(c, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::contacts::CONTACTS;
    use serde_json::json;

    fn rules(pairs: &[(&str, FieldRule)]) -> Rules {
        pairs.iter().map(|(k, r)| (k.to_string(), *r)).collect()
    }

    #[test]
    fn hidden_fields_are_blanked_including_search_digits_and_custom_values() {
        let r = rules(&[
            ("mobile", FieldRule::Hidden),
            ("custom.f1", FieldRule::Hidden),
        ]);
        let mut v: Values = [
            ("mobile".to_string(), json!("+8613800138000")),
            ("mobile_digits".to_string(), json!("13800138000")),
            ("email".to_string(), json!("a@b.cn")),
            ("custom".to_string(), json!({"f1": "secret", "f2": "open"})),
        ]
        .into_iter()
        .collect();
        redact(&CONTACTS, &r, &mut v);
        assert_eq!(v["mobile"], Value::Null);
        assert_eq!(v["mobile_digits"], Value::Null);
        assert_eq!(v["email"], json!("a@b.cn"));
        assert_eq!(v["custom"], json!({"f2": "open"}));
    }

    #[test]
    fn protected_fields_keep_stored_values_or_defaults() {
        let r = rules(&[
            ("status", FieldRule::ReadOnly),
            ("custom.f1", FieldRule::ReadOnly),
        ]);
        let stored: Values = [
            ("status".to_string(), json!("customer")),
            ("custom".to_string(), json!({"f1": "kept"})),
        ]
        .into_iter()
        .collect();
        let mut submitted: Values = [
            ("status".to_string(), json!("churned")),
            ("custom".to_string(), json!({"f1": "forged", "f2": "mine"})),
        ]
        .into_iter()
        .collect();
        protect(&CONTACTS, &r, &mut submitted, Some(&stored));
        assert_eq!(submitted["status"], json!("customer"));
        assert_eq!(submitted["custom"], json!({"f1": "kept", "f2": "mine"}));
        let mut new: Values = [("status".to_string(), json!("churned"))]
            .into_iter()
            .collect();
        protect(&CONTACTS, &r, &mut new, None);
        assert_eq!(new["status"], json!("lead"));
    }
}
