//! HTML pages shared by every kind of customer record: list, view, create, edit, delete,
//! restore, purge. Routes pass the entity; see `server::routes`.

mod form;
mod list;
mod show;
mod trash;

pub use form::{
    PENDING_COMPANY, create, edit_form, form_values, known_duplicates, lookup, new_form,
    owner_allowed, parse, parse_for_pending_company, update,
};
pub use list::list;
pub use show::{show, show_page};
pub use trash::{MergeInput, delete, merge, purge, restore, trash};

use super::store::Record;
use super::{Entity, Kind};
use crate::auth::Action;
use crate::crm::users::store as users;
use crate::domain::phone::Phone;
use crate::error::AppError;
use crate::web::page::Page;
use minijinja::{Value, context};
use serde_json::Value as Json;
use std::collections::HashMap;

const PAGE_SIZE: usize = 50;

/// Form and query parameters as submitted.
pub type Params = HashMap<String, String>;

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text(_) => "text",
        Kind::LongText => "longtext",
        Kind::Email => "email",
        Kind::Phone => "phone",
        Kind::Select(_) => "select",
        Kind::User => "user",
        Kind::Company => "company",
        Kind::Industry => "industry",
        Kind::Money => "money",
        Kind::Date => "date",
        Kind::Stage => "stage",
        Kind::Contact => "contact",
    }
}

/// The fields a role sees, each marked `readonly` when the role may not change it.
fn visible_fields(e: &Entity, rules: &super::rules::Rules) -> Vec<Value> {
    use crate::auth::FieldRule;
    e.fields
        .iter()
        .filter(|f| rules.get(f.name) != Some(&FieldRule::Hidden))
        .map(|f| {
            let options: &[&str] = match f.kind {
                Kind::Select(o) => o,
                _ => &[],
            };
            let readonly = rules.get(f.name) == Some(&FieldRule::ReadOnly);
            context! { name => f.name, kind => kind_name(f.kind), required => f.required, list => f.list, options, readonly }
        })
        .collect()
}

/// How a value is shown and put back into a form.
pub fn display(e: &Entity, rec: &Record, name: &str) -> String {
    let v = rec.values.get(name).unwrap_or(&Json::Null);
    match (e.field(name).map(|f| f.kind), v) {
        (_, Json::Null) => String::new(),
        (Some(Kind::Phone), Json::String(s)) => {
            Phone::parse(s).map_or_else(|_| s.clone(), |p| p.display())
        }
        (Some(Kind::Company), _) => rec.company_name.clone().unwrap_or_default(),
        (Some(Kind::Industry), _) => rec.industry_name.clone().unwrap_or_default(),
        (Some(Kind::Stage), _) => rec.stage_name.clone().unwrap_or_default(),
        (Some(Kind::Contact), _) => rec.contact_name.clone().unwrap_or_default(),
        (Some(Kind::Money), Json::Number(n)) => n
            .as_i64()
            .map(|m| crate::domain::Money::from_minor(m).to_string())
            .unwrap_or_default(),
        (_, Json::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// A record as templates see it: raw values plus display strings.
fn view(e: &Entity, rec: &Record) -> Value {
    let shown: HashMap<&str, String> = e
        .fields
        .iter()
        .map(|f| (f.name, display(e, rec, f.name)))
        .collect();
    context! { shown, ..Value::from_serialize(rec) }
}

/// The active users a record can be given to, with their `<option>` markup built once:
/// with hundreds of users, looping over them in the template (twice on a list page) cost
/// more than the rest of the page.
pub struct Owners {
    /// Id and name, by name.
    pub list: Vec<(i64, String)>,
    options: String,
    /// The same as choices of whom to share a record with (`u:ID`).
    share_options: String,
}

impl Owners {
    fn load(c: &rusqlite::Connection) -> rusqlite::Result<Owners> {
        use std::fmt::Write;
        let list = users::active_names(c)?;
        let mut options = String::with_capacity(list.len() * 40);
        let mut share_options = String::with_capacity(list.len() * 42);
        for (id, name) in &list {
            let name = crate::web::escape_html(name);
            let _ = write!(options, "<option value=\"{id}\">{name}</option>");
            let _ = write!(share_options, "<option value=\"u:{id}\">{name}</option>");
        }
        Ok(Owners {
            list,
            options,
            share_options,
        })
    }

    /// The choices of whom to share a record with, leaving out its owner `except`.
    fn share_options(&self, except: Option<i64>) -> Value {
        let mut html = self.share_options.clone();
        if let Some(id) = except {
            let start = html.find(&format!("<option value=\"u:{id}\">"));
            let end = start.and_then(|s| html[s..].find("</option>").map(|e| s + e + 9));
            if let (Some(s), Some(e)) = (start, end) {
                html.replace_range(s..e, "");
            }
        }
        Value::from_safe_string(html)
    }

    /// The choices as `<option>` markup, `selected` (an id) marked.
    fn options(&self, selected: Option<&str>) -> Value {
        let html = match selected.and_then(|s| s.parse::<i64>().ok()) {
            Some(id) => self.options.replacen(
                &format!("<option value=\"{id}\">"),
                &format!("<option value=\"{id}\" selected>"),
                1,
            ),
            None => self.options.clone(),
        };
        Value::from_safe_string(html)
    }
}

async fn owners(page: &Page) -> Result<std::sync::Arc<Owners>, AppError> {
    page.state.db.memo(("users", "owners"), Owners::load).await
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// A record that is not in the trash and that the user may `action`, or an error: what every
/// action on a record starts from. Without the action at all it is 403; a record outside the
/// scope of the action is 404 when the user cannot even see it, 403 when they can.
pub async fn live_record(
    page: &Page,
    e: &'static Entity,
    id: i64,
    action: Action,
) -> Result<Record, AppError> {
    page.user()?.require_level(e.area, action)?;
    let rec = page
        .state
        .db
        .read(move |c| Ok(super::store::get(c, e, id)?))
        .await?;
    let (owner, id) = (rec.owner(), rec.id);
    if rec.deleted_at.is_some()
        || !page
            .scope(e.area, Action::View)
            .await?
            .allows_record(owner, id)
    {
        return Err(AppError::NotFound);
    }
    if action != Action::View && !page.scope(e.area, action).await?.allows_record(owner, id) {
        return Err(AppError::Forbidden);
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::Owners;

    fn owners() -> Owners {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, disabled_at TEXT);
             INSERT INTO users VALUES (1, '王<伟>', NULL), (2, 'Ann', NULL), (3, 'Old', 'then');",
        )
        .unwrap();
        Owners::load(&conn).unwrap()
    }

    #[test]
    fn owner_choices_are_escaped_and_mark_the_selected_one() {
        let o = owners();
        assert_eq!(o.list.len(), 2, "disabled users are not offered");
        let html = o.options(Some("1")).to_string();
        assert!(
            html.contains("<option value=\"1\" selected>王&lt;伟&gt;</option>"),
            "{html}"
        );
        assert!(html.contains("<option value=\"2\">Ann</option>"), "{html}");
    }

    #[test]
    fn share_choices_leave_out_the_owner() {
        let o = owners();
        let html = o.share_options(Some(2)).to_string();
        assert!(!html.contains("Ann"), "{html}");
        assert!(
            html.contains("<option value=\"u:1\">王&lt;伟&gt;</option>"),
            "{html}"
        );
        assert!(o.share_options(None).to_string().contains("u:2"));
    }
}
