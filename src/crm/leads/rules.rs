//! Editing assignment rules: parsing the administrator's form, and the audited changes
//! (create, edit, reorder, switch on and off), each recorded with before and after.

use super::assign::{CONDITION_FIELDS, Condition, METHODS, RuleInput, alternatives};
use super::rules_store::{self as store, Rule};
use crate::audit::Event;
use crate::crm::fields::CustomField;
use crate::crm::industries::Sector;
use crate::crm::records::{FieldErrors, SOURCES};
use crate::db::Tx;
use crate::error::AppError;
use crate::web::i18n::Lang;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;

/// Condition rows a rule may have.
pub const MAX_CONDITIONS: usize = 12;

/// What a condition's value is checked against when it is entered and shown.
pub struct Vocabulary {
    /// The industry taxonomy.
    pub industries: Vec<Sector>,
    /// The leads' custom fields.
    pub custom: Vec<CustomField>,
}

impl Vocabulary {
    /// Reads the taxonomy and the custom fields.
    pub fn load(conn: &Connection) -> rusqlite::Result<Vocabulary> {
        Ok(Vocabulary {
            industries: crate::crm::industries::tree(conn)?,
            custom: crate::crm::fields::store::for_entity(conn, "leads")?,
        })
    }

    fn industry_names(&self) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        for s in &self.industries {
            out.push((s.id, s.name.clone()));
            for (id, name) in &s.children {
                out.push((*id, format!("{} / {name}", s.name)));
            }
        }
        out
    }

    /// Names an administrator may type for a source or an industry, for the form's hints.
    pub fn suggestions(&self, lang: Lang) -> Vec<String> {
        let mut out: Vec<String> = SOURCES
            .iter()
            .map(|s| lang.tr(&format!("record.source.{s}")))
            .collect();
        out.extend(self.industry_names().into_iter().map(|(_, n)| n));
        out
    }

    /// A stored value as the administrator reads and types it in `lang`.
    pub fn shown(&self, lang: Lang, c: &Condition) -> String {
        let parts: Vec<String> = alternatives(&c.value)
            .into_iter()
            .map(|v| match c.field.as_str() {
                "source" => lang.tr(&format!("record.source.{v}")),
                "industry_id" => v
                    .parse::<i64>()
                    .ok()
                    .and_then(|id| self.industry_names().into_iter().find(|i| i.0 == id))
                    .map_or(v, |i| i.1),
                _ => v,
            })
            .collect();
        parts.join(", ")
    }

    /// A typed value as stored: sources by code, industries by id; `None` names the first
    /// value that is not one.
    fn stored(&self, field: &str, typed: &str) -> Result<String, ()> {
        let mut out = Vec::new();
        for v in alternatives(typed) {
            let found = match field {
                "source" => SOURCES
                    .iter()
                    .find(|s| {
                        let key = format!("record.source.{s}");
                        **s == v
                            || Lang::ALL
                                .iter()
                                .any(|l| l.tr(&key).eq_ignore_ascii_case(&v))
                    })
                    .map(|s| s.to_string()),
                "industry_id" => {
                    let flat = |s: &str| s.replace(' ', "").to_lowercase();
                    self.industry_names()
                        .into_iter()
                        .find(|(id, name)| id.to_string() == v || flat(name) == flat(&v))
                        .map(|(id, _)| id.to_string())
                }
                _ => Some(v),
            };
            out.push(found.ok_or(())?);
        }
        Ok(out.join(","))
    }

    fn knows(&self, field: &str) -> bool {
        CONDITION_FIELDS.contains(&field)
            || field
                .strip_prefix("custom.")
                .is_some_and(|k| self.custom.iter().any(|c| c.key == k))
    }
}

fn id(input: &HashMap<String, String>, name: &str) -> Option<i64> {
    input.get(name).and_then(|v| v.trim().parse().ok())
}

/// Parses the rule form; the errors name each bad input.
pub fn parse(
    conn: &Connection,
    vocab: &Vocabulary,
    input: &HashMap<String, String>,
) -> rusqlite::Result<(RuleInput, FieldErrors)> {
    let mut errors = FieldErrors::new();
    let get = |k: &str| {
        input
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let name = get("name");
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), "lead_rule.error.name".into());
    }
    let mut conditions = Vec::new();
    for i in 0..MAX_CONDITIONS {
        let (field, value) = (
            get(&format!("cond_field_{i}")),
            get(&format!("cond_value_{i}")),
        );
        if value.is_empty() {
            continue;
        }
        if !vocab.knows(&field) {
            errors.insert(format!("cond_field_{i}"), "lead_rule.error.field".into());
            continue;
        }
        match vocab.stored(&field, &value) {
            Ok(value) if value.chars().count() <= 500 => {
                conditions.push(Condition { field, value })
            }
            Ok(_) => {
                errors.insert(format!("cond_value_{i}"), "record.error.too_long".into());
            }
            Err(()) => {
                let key = match field.as_str() {
                    "source" => "lead_rule.error.source",
                    _ => "lead_rule.error.industry",
                };
                errors.insert(format!("cond_value_{i}"), key.into());
            }
        }
    }
    let method = get("method");
    let (mut department_id, mut user_id) = (id(input, "department_id"), id(input, "user_id"));
    if !METHODS.contains(&method.as_str()) {
        errors.insert("method".into(), "record.error.choice".into());
    } else if method == "fixed" {
        department_id = None;
        if !matches!(user_id, Some(u) if store::user_active(conn, u)?) {
            errors.insert("user_id".into(), "lead_rule.error.user".into());
        }
    } else {
        user_id = None;
        if !matches!(department_id, Some(d) if store::department_name(conn, d)?.is_some()) {
            errors.insert("department_id".into(), "lead_rule.error.department".into());
        }
    }
    let rule = RuleInput {
        name,
        conditions,
        department_id,
        user_id,
        method,
        active: input.get("active").is_some_and(|v| v == "1"),
    };
    Ok((rule, errors))
}

/// The audited picture of a rule: language-neutral, with the target by name.
fn snapshot(conn: &Connection, r: &RuleInput) -> rusqlite::Result<Vec<(&'static str, Value)>> {
    let conditions: Vec<String> = r
        .conditions
        .iter()
        .map(|c| format!("{} = {}", c.field, c.value))
        .collect();
    let dept = match r.department_id {
        Some(d) => store::department_name(conn, d)?,
        None => None,
    };
    let user = match r.user_id {
        Some(u) => store::user_name(conn, u)?,
        None => None,
    };
    Ok(vec![
        ("name", Value::from(r.name.clone())),
        ("conditions", Value::from(conditions.join("; "))),
        ("department", Value::from(dept)),
        ("user", Value::from(user)),
        ("method", Value::from(r.method.clone())),
        ("active", Value::from(r.active)),
    ])
}

/// The input a stored rule would be submitted as.
pub fn input_of(r: &Rule) -> RuleInput {
    RuleInput {
        name: r.name.clone(),
        conditions: r.conditions.clone(),
        department_id: r.department_id,
        user_id: r.user_id,
        method: r.method.clone(),
        active: r.active,
    }
}

fn audit(
    tx: &mut Tx<'_>,
    action: &str,
    id: i64,
    before: Option<&RuleInput>,
    after: &RuleInput,
) -> Result<(), AppError> {
    let old = match before {
        Some(b) => snapshot(tx.conn(), b)?,
        None => Vec::new(),
    };
    let mut event = Event::new(action).entity("lead_rule", id);
    for (field, new) in snapshot(tx.conn(), after)? {
        let was = old
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(Value::Null, |(_, v)| v.clone());
        event = event.change(field, was, new);
    }
    tx.audit(event)?;
    Ok(())
}

fn existing(tx: &Tx<'_>, id: i64) -> Result<Rule, AppError> {
    store::get(tx.conn(), id)?.ok_or(AppError::NotFound)
}

/// Adds a rule after the others.
pub fn create(tx: &mut Tx<'_>, r: &RuleInput) -> Result<i64, AppError> {
    let id = store::insert(tx.conn(), r)?;
    audit(tx, "lead_rule.create", id, None, r)?;
    Ok(id)
}

/// Saves an edit made on `version`; a rule changed since is refused with a conflict.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, r: &RuleInput) -> Result<(), AppError> {
    let before = input_of(&existing(tx, id)?);
    if store::update(tx.conn(), id, version, r)? == 0 {
        return Err(AppError::Conflict("lead_rule.error.changed".into()));
    }
    audit(tx, "lead_rule.update", id, Some(&before), r)
}

/// Switches a rule on or off.
pub fn set_active(tx: &mut Tx<'_>, id: i64, active: bool) -> Result<(), AppError> {
    let rule = existing(tx, id)?;
    if rule.active == active {
        // Nothing to record: someone else switched it meanwhile.
        return Err(AppError::Conflict("lead_rule.error.changed".into()));
    }
    store::set_active(tx.conn(), id, active)?;
    let action = if active {
        "lead_rule.activate"
    } else {
        "lead_rule.deactivate"
    };
    tx.audit(
        Event::new(action)
            .entity("lead_rule", id)
            .change("active", rule.active, active),
    )?;
    Ok(())
}

/// Swaps a rule with the one before (`up`) or after it; at either end it is refused as a
/// conflict, since a write must record something.
pub fn move_rule(tx: &mut Tx<'_>, id: i64, up: bool) -> Result<(), AppError> {
    let rules = store::all(tx.conn())?;
    let at = rules
        .iter()
        .position(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.and_then(|o| rules.get(o)) else {
        // Already at that end (the page checks first; this is a race).
        return Err(AppError::Conflict("lead_rule.error.changed".into()));
    };
    let this = &rules[at];
    // Positions are renumbered from the list order, so equal positions cannot stick.
    let (a, b) = (at as i64 + 1, if up { at as i64 } else { at as i64 + 2 });
    for (i, r) in rules.iter().enumerate() {
        let want = i as i64 + 1;
        if r.position != want && r.id != this.id && r.id != other.id {
            store::set_position(tx.conn(), r.id, want)?;
        }
    }
    store::set_position(tx.conn(), this.id, b)?;
    store::set_position(tx.conn(), other.id, a)?;
    tx.audit(
        Event::new("lead_rule.move")
            .entity("lead_rule", id)
            .change("position", a, b),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sources_and_industries_are_typed_by_name_in_either_language_and_stored_by_code() {
        let conn = crate::db::memory().unwrap();
        crate::crm::industries::seed_defaults(&conn, "zh-CN").unwrap();
        conn.execute(
            "INSERT INTO departments (name, created_at, updated_at) VALUES ('华南区', 'now', 'now')",
            [],
        )
        .unwrap();
        let vocab = Vocabulary::load(&conn).unwrap();
        let sector = &vocab.industries[0];
        let child = format!("{} / {}", sector.name, sector.children[0].1);
        let input = form(&[
            ("name", "华南"),
            ("cond_field_0", "source"),
            ("cond_value_0", "展会, Website"),
            ("cond_field_2", "industry_id"),
            ("cond_value_2", &child),
            ("method", "round_robin"),
            ("department_id", "1"),
        ]);

        let (rule, errors) = parse(&conn, &vocab, &input).unwrap();

        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rule.conditions[0].value, "exhibition,website");
        assert_eq!(rule.conditions[1].value, sector.children[0].0.to_string());
        assert_eq!(vocab.shown(Lang::ZhCn, &rule.conditions[0]), "展会, 官网");
        assert_eq!(vocab.shown(Lang::ZhCn, &rule.conditions[1]), child);
        assert!(!rule.active);
    }

    #[test]
    fn a_rule_names_each_bad_input() {
        let conn = crate::db::memory().unwrap();
        let vocab = Vocabulary::load(&conn).unwrap();
        let input = form(&[
            ("name", ""),
            ("cond_field_0", "source"),
            ("cond_value_0", "carrier pigeon"),
            ("cond_field_1", "owner_id"),
            ("cond_value_1", "1"),
            ("cond_field_2", "industry_id"),
            ("cond_value_2", "no such industry"),
            ("method", "fixed"),
            ("user_id", "99"),
        ]);

        let (_, errors) = parse(&conn, &vocab, &input).unwrap();

        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "cond_field_1",
                "cond_value_0",
                "cond_value_2",
                "name",
                "user_id"
            ]
        );
        assert_eq!(errors["cond_value_0"], "lead_rule.error.source");
        assert_eq!(errors["cond_value_2"], "lead_rule.error.industry");
    }
}
