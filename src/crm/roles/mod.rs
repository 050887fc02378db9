//! Roles: the five built-in ones (defined in `auth::access`) and the custom roles an
//! administrator makes by copying one and changing what it grants. Every change is audited
//! grant by grant and rule by rule, with before and after.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::auth::{Access, Action, Area, FieldRule, Level, Role};
use crate::db::Tx;
use crate::error::AppError;
use std::collections::{BTreeMap, HashMap};

/// Field name to the i18n key of its problem.
pub type FieldErrors = BTreeMap<String, String>;

/// Whether `key` has the shape of a custom role's key (`role-N`).
pub fn is_custom_key(key: &str) -> bool {
    key.strip_prefix("role-")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The actions the editor offers for an area (settings are only seen or changed).
pub fn actions(area: Area) -> &'static [Action] {
    if area.owned() {
        &Action::ALL
    } else {
        &[Action::View, Action::Edit]
    }
}

/// The levels the editor offers for an area.
pub fn levels(area: Area) -> &'static [Level] {
    if area.owned() {
        &Level::ALL
    } else {
        &[Level::None, Level::All]
    }
}

/// The grants of any role by key: built in, custom, or none when unknown.
pub fn access_of(conn: &rusqlite::Connection, key: &str) -> Result<Option<Access>, AppError> {
    if let Some(r) = Role::parse(key) {
        return Ok(Some(Access::built_in(r)));
    }
    Ok(store::find(conn, key)?.map(|r| r.access))
}

/// Reads the editor's form on top of `start`: `g.AREA.ACTION` = level and
/// `f.AREA.FIELD` = `hidden` / `readonly` / empty. Fields a role can have rules on are
/// given by `fields` per area; anything else submitted is ignored. On errors the choices
/// read so far come back with them, so the form keeps what the administrator chose.
pub fn parse(
    form: &HashMap<String, String>,
    start: &Access,
    fields: &dyn Fn(Area) -> Vec<String>,
) -> Result<(String, Access), (FieldErrors, Access)> {
    let mut errors = FieldErrors::new();
    let name = form.get("name").map(|s| s.trim()).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 60 {
        errors.insert("name".into(), "roles.error.name".into());
    } else if built_in_name(name) {
        errors.insert("name".into(), "roles.error.name_built_in".into());
    }
    let mut access = start.clone();
    for area in Area::ALL.into_iter().filter(|a| a.available()) {
        for action in actions(area) {
            let key = format!("g.{}.{}", area.as_str(), action.as_str());
            match form.get(&key).map(|v| Level::parse(v)) {
                Some(Some(level)) => access.set(area, *action, level),
                Some(None) => {
                    errors.insert(key, "roles.error.level".into());
                }
                None => {}
            }
        }
        if !area.owned() {
            continue;
        }
        let rules = access.fields.entry(area).or_default();
        for field in fields(area) {
            let key = format!("f.{}.{}", area.as_str(), field);
            match form.get(&key).map(String::as_str) {
                Some("") => {
                    rules.remove(&field);
                }
                Some(v) => match FieldRule::parse(v) {
                    Some(rule) => {
                        rules.insert(field, rule);
                    }
                    None => {
                        errors.insert(key, "roles.error.level".into());
                    }
                },
                None => {}
            }
        }
    }
    access.fields.retain(|_, rules| !rules.is_empty());
    if errors.is_empty() {
        Ok((name.to_string(), access))
    } else {
        Err((errors, access))
    }
}

/// Whether a name is a built-in role's, in any language (two roles named 销售 in the user
/// form would be a trap).
fn built_in_name(name: &str) -> bool {
    use crate::web::i18n::Lang;
    Role::ALL.iter().any(|r| {
        Lang::ALL.iter().any(|l| {
            l.tr(&format!("role.{}", r.as_str()))
                .eq_ignore_ascii_case(name)
        }) || r.as_str().eq_ignore_ascii_case(name)
    })
}

/// Adds before/after of every grant and field rule that differs.
fn diff(mut event: Event, old: &Access, new: &Access) -> Event {
    for area in Area::ALL {
        for action in Action::ALL {
            let (a, b) = (old.level(area, action), new.level(area, action));
            if a != b {
                let name = format!("grant.{}.{}", area.as_str(), action.as_str());
                event = event.change(&name, a.as_str(), b.as_str());
            }
        }
        let (a, b) = (old.rules(area), new.rules(area));
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for field in names {
            let (x, y) = (a.get(field), b.get(field));
            if x != y {
                let name = format!("field.{}.{}", area.as_str(), field);
                event = event.change(&name, x.map(|r| r.as_str()), y.map(|r| r.as_str()));
            }
        }
    }
    event
}

fn json(access: &Access) -> Result<String, AppError> {
    serde_json::to_string(access).map_err(|e| AppError::Internal(e.into()))
}

/// Creates a custom role copied from `based_on` and returns its key.
pub fn create(
    tx: &mut Tx<'_>,
    name: &str,
    based_on: &str,
    access: &Access,
) -> Result<String, AppError> {
    if store::name_taken(tx.conn(), name, None)? {
        return Err(AppError::invalid("name", "roles.error.name_taken"));
    }
    let start = access_of(tx.conn(), based_on)?.ok_or(AppError::NotFound)?;
    let (id, key) = store::insert(tx.conn(), name, based_on, &json(access)?)?;
    let event = Event::new("role.create")
        .entity("role", id)
        .change("name", None::<String>, name)
        .change("based_on", None::<String>, based_on);
    tx.audit(diff(event, &start, access))?;
    Ok(key)
}

/// Saves a custom role's name and grants, refusing to overwrite a newer version.
pub fn update(
    tx: &mut Tx<'_>,
    key: &str,
    version: i64,
    name: &str,
    access: &Access,
) -> Result<(), AppError> {
    let old = store::find(tx.conn(), key)?.ok_or(AppError::NotFound)?;
    if store::name_taken(tx.conn(), name, Some(old.id))? {
        return Err(AppError::invalid("name", "roles.error.name_taken"));
    }
    if store::update(tx.conn(), old.id, version, name, &json(access)?)? == 0 {
        return Err(AppError::Conflict("roles.error.changed".into()));
    }
    let event =
        Event::new("role.update")
            .entity("role", old.id)
            .change("name", old.name.as_str(), name);
    tx.audit(diff(event, &old.access, access))?;
    Ok(())
}

/// Deletes a custom role nobody holds.
pub fn delete(tx: &mut Tx<'_>, key: &str) -> Result<(), AppError> {
    let old = store::find(tx.conn(), key)?.ok_or(AppError::NotFound)?;
    if store::holders(tx.conn(), key)? > 0 {
        return Err(AppError::invalid("role", "roles.error.in_use"));
    }
    store::delete(tx.conn(), old.id)?;
    // Its grants are in its history (create and update entries); the deletion names it.
    tx.audit(Event::new("role.delete").entity("role", old.id).change(
        "name",
        old.name.as_str(),
        None::<String>,
    ))?;
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
    fn the_form_changes_grants_and_rules_on_top_of_the_copied_role() {
        let start = Access::built_in(Role::Sales);
        let fields = |_: Area| vec!["phone".to_string(), "notes".to_string()];
        let (name, a) = parse(
            &form(&[
                ("name", " 大客户销售 "),
                ("g.companies.view", "department"),
                ("g.settings.view", "own"),
                ("f.companies.phone", "readonly"),
                ("f.companies.secret", "hidden"),
            ]),
            &start,
            &fields,
        )
        .unwrap_or_default();
        assert_eq!(name, "大客户销售");
        assert_eq!(a.level(Area::Companies, Action::View), Level::Department);
        assert_eq!(a.level(Area::Companies, Action::Edit), Level::Own);
        assert_eq!(a.level(Area::Settings, Action::View), Level::All);
        // Areas the editor does not show keep what the copied role had.
        assert_eq!(a.level(Area::Deals, Action::Edit), Level::Own);
        assert_eq!(a.rule(Area::Companies, "phone"), Some(FieldRule::ReadOnly));
        assert_eq!(a.rule(Area::Companies, "secret"), None);
        let bad = parse(
            &form(&[("name", ""), ("g.contacts.edit", "everyone")]),
            &start,
            &fields,
        );
        let (errors, kept) = bad.err().unwrap_or_default();
        assert!(errors.contains_key("name") && errors.contains_key("g.contacts.edit"));
        assert_eq!(kept.level(Area::Deals, Action::Edit), Level::Own);
        let taken = parse(&form(&[("name", "销售")]), &start, &fields);
        assert_eq!(
            taken
                .err()
                .unwrap_or_default()
                .0
                .get("name")
                .map(String::as_str),
            Some("roles.error.name_built_in")
        );
    }

    #[test]
    fn custom_keys_are_recognised() {
        assert!(is_custom_key("role-12"));
        assert!(!is_custom_key("role-"));
        assert!(!is_custom_key("admin"));
        assert!(!is_custom_key("role-1x"));
    }
}
