//! Public lead forms: an administrator chooses which lead fields a form asks for; visitors
//! fill it in at `/f/{token}` (on its own or inside an `<iframe>` on the company's website),
//! and each submission becomes a lead, created by the system, routed by the assignment
//! rules, in one audited write.
//!
//! A public form has no session, so it cannot carry a CSRF token — and needs none: it acts
//! for nobody, it only ever creates a lead. What it does need is protection from robots:
//! a hidden field people never fill in (the honeypot), a signed time stamp that shows the
//! page was loaded a moment before it was sent, and a limit per address
//! (`forms_guard`).

use super::LEADS;
use super::forms_store::{self as store, LeadForm};
use crate::audit::Event;
use crate::crm::fields::CustomField;
use crate::crm::records::{self, FieldErrors, Lookup, SOURCES, Values};
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;

/// Lead fields a public form may ask for, in form order. Status, source and owner are
/// never the visitor's to set.
pub const FORM_FIELDS: &[&str] = &[
    "name",
    "company_name",
    "title",
    "mobile",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "industry_id",
    "notes",
];

/// A form as an administrator submits it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormInput {
    /// Name, also the heading visitors see.
    pub name: String,
    /// Input names shown: lead fields and `cf_<key>` custom fields.
    pub fields: Vec<String>,
    /// Those that must be filled in.
    pub required: Vec<String>,
    /// Shown after sending.
    pub thank_you: String,
    /// Source given to its leads.
    pub source: Option<String>,
    /// Accepting submissions.
    pub active: bool,
}

/// Every input name a form may show: the lead fields, then the custom fields.
pub fn choices(custom: &[CustomField]) -> Vec<String> {
    FORM_FIELDS
        .iter()
        .map(|f| f.to_string())
        .chain(
            custom
                .iter()
                .map(|c| crate::crm::fields::input_name(&c.key)),
        )
        .collect()
}

/// Parses the form editor: `show_<name>` and `req_<name>` boxes per field; the name is
/// always asked for and required, since every lead has one.
pub fn parse(input: &HashMap<String, String>, custom: &[CustomField]) -> (FormInput, FieldErrors) {
    let mut errors = FieldErrors::new();
    let get = |k: &str| {
        input
            .get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let ticked = |k: String| input.get(&k).is_some_and(|v| !v.is_empty() && v != "0");
    let name = get("name");
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert("name".into(), "lead_form.error.name".into());
    }
    let thank_you = get("thank_you");
    if thank_you.is_empty() || thank_you.chars().count() > 2000 {
        errors.insert("thank_you".into(), "lead_form.error.thank_you".into());
    }
    let source = Some(get("source")).filter(|s| !s.is_empty());
    if source.as_deref().is_some_and(|s| !SOURCES.contains(&s)) {
        errors.insert("source".into(), "record.error.choice".into());
    }
    let mut fields = Vec::new();
    let mut required = Vec::new();
    for f in choices(custom) {
        if f == "name" || ticked(format!("show_{f}")) {
            if f == "name" || ticked(format!("req_{f}")) {
                required.push(f.clone());
            }
            fields.push(f);
        }
    }
    let form = FormInput {
        name,
        fields,
        required,
        thank_you,
        source,
        active: ticked("active".into()),
    };
    (form, errors)
}

/// The input a stored form would be submitted as.
pub fn input_of(f: &LeadForm) -> FormInput {
    FormInput {
        name: f.name.clone(),
        fields: f.fields.clone(),
        required: f.required.clone(),
        thank_you: f.thank_you.clone(),
        source: f.source.clone(),
        active: f.active,
    }
}

fn snapshot(f: &FormInput) -> Vec<(&'static str, Value)> {
    vec![
        ("name", Value::from(f.name.clone())),
        ("fields", Value::from(f.fields.join(", "))),
        ("required", Value::from(f.required.join(", "))),
        ("thank_you", Value::from(f.thank_you.clone())),
        ("source", Value::from(f.source.clone())),
        ("active", Value::from(f.active)),
    ]
}

fn audit_change(
    tx: &mut Tx<'_>,
    action: &str,
    id: i64,
    before: Option<&FormInput>,
    after: &FormInput,
) -> Result<(), AppError> {
    let old = before.map(snapshot).unwrap_or_default();
    let mut event = Event::new(action).entity("lead_form", id);
    for (field, new) in snapshot(after) {
        let was = old
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(Value::Null, |(_, v)| v.clone());
        event = event.change(field, was, new);
    }
    tx.audit(event)?;
    Ok(())
}

/// A new random public token.
fn new_token() -> String {
    crate::auth::random_token(16)
}

/// Adds a form with a fresh public address.
pub fn create(tx: &mut Tx<'_>, f: &FormInput) -> Result<i64, AppError> {
    let id = store::insert(tx.conn(), f, &new_token())?;
    audit_change(tx, "lead_form.create", id, None, f)?;
    Ok(id)
}

/// Saves an edit made on `version`; a form changed since is refused with a conflict.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, f: &FormInput) -> Result<(), AppError> {
    let before = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    if store::update(tx.conn(), id, version, f)? == 0 {
        return Err(AppError::Conflict("lead_form.error.changed".into()));
    }
    audit_change(tx, "lead_form.update", id, Some(&input_of(&before)), f)
}

/// Gives a form a new public address; the old one stops working at once (for a form
/// copied somewhere it should not be). The token itself is not written to the log.
pub fn regenerate_token(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    store::set_token(tx.conn(), id, &new_token())?;
    tx.audit(
        Event::new("lead_form.token")
            .entity("lead_form", id)
            .secret_changed("token"),
    )?;
    Ok(())
}

/// Resolves what a public submission names: only industries; a visitor picks no people,
/// companies, contacts or stages.
struct PublicLookup<'c>(&'c Connection);

impl Lookup for PublicLookup<'_> {
    fn company(&self, _: &str) -> Option<i64> {
        None
    }
    fn contact(&self, _: &str, _: Option<i64>) -> Option<i64> {
        None
    }
    fn user(&self, _: i64) -> bool {
        false
    }
    fn industry(&self, id: i64) -> bool {
        crate::crm::industries::exists(self.0, id).unwrap_or(false)
    }
    fn stage(&self, _: i64) -> Option<(i64, bool)> {
        None
    }
}

/// The custom fields a form shows, each required as the form (not the field) says.
pub fn shown_custom(form: &LeadForm, custom: Vec<CustomField>) -> Vec<CustomField> {
    custom
        .into_iter()
        .filter_map(|mut c| {
            let name = crate::crm::fields::input_name(&c.key);
            form.fields.contains(&name).then(|| {
                c.required = form.required.contains(&name);
                c
            })
        })
        .collect()
}

/// Validates a visitor's submission with the same rules as the app's lead form, taking
/// only the fields the form shows; the lead is new, of the form's source, and unowned
/// until a rule assigns it.
pub fn validate(
    conn: &Connection,
    form: &LeadForm,
    input: &HashMap<String, String>,
) -> rusqlite::Result<Result<Values, FieldErrors>> {
    let custom = shown_custom(
        form,
        crate::crm::fields::store::for_entity(conn, LEADS.table)?,
    );
    let mut taken: HashMap<String, String> = input
        .iter()
        .filter(|(k, _)| {
            form.fields.iter().any(|f| {
                *k == f
                    || k.strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with("__"))
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    taken.insert("status".into(), "new".into());
    taken.insert("source".into(), form.source.clone().unwrap_or_default());
    taken.remove("owner_id");
    let required: Vec<String> = form
        .required
        .iter()
        .filter(|r| FORM_FIELDS.contains(&r.as_str()))
        .cloned()
        .collect();
    Ok(records::parse(
        &LEADS,
        &taken,
        &PublicLookup(conn),
        &custom,
        &required,
    ))
}

/// Creates the lead of a valid submission as the system, notes the form on it (audited
/// with the form's id), and routes it by the assignment rules — all in one transaction.
pub fn submit(tx: &mut Tx<'_>, form: &LeadForm, values: &Values) -> Result<i64, AppError> {
    let id = records::create(tx, &LEADS, values)?;
    store::set_lead_form(tx.conn(), id, form.id)?;
    tx.audit(
        Event::new("lead_form.submit")
            .entity("lead", id)
            .change("form_id", Value::Null, form.id)
            .change("form", Value::Null, form.name.clone()),
    )?;
    super::assign::assign_new_lead(tx, id)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_always_asks_for_the_name_and_keeps_the_field_order() {
        let input: HashMap<String, String> = [
            ("name", "官网咨询"),
            ("show_email", "1"),
            ("show_mobile", "1"),
            ("req_mobile", "1"),
            ("req_phone", "1"),
            ("show_status", "1"),
            ("thank_you", "谢谢"),
            ("source", "website"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();

        let (form, errors) = parse(&input, &[]);

        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(form.fields, ["name", "mobile", "email"]);
        assert_eq!(
            form.required,
            ["name", "mobile"],
            "a hidden field is not required"
        );
        assert!(!form.active);
    }

    #[test]
    fn a_form_names_each_bad_input() {
        let input: HashMap<String, String> = [("source", "carrier pigeon")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();

        let (_, errors) = parse(&input, &[]);

        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name", "source", "thank_you"]);
    }
}
