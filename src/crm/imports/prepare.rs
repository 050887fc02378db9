//! Turning a file row into the form inputs the records engine parses: mapped columns, names
//! split over two columns joined, and people, industries, stages and choices given by name
//! or label resolved to what the form expects.

use super::mapping;
use super::read::Row;
use crate::crm::records::pages::Params;
use crate::crm::records::{Entity, Kind};
use crate::web::i18n::Lang;
use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::HashMap;

/// Names the database knows, looked up once per import, and the choices already read.
pub struct Resolver {
    users: HashMap<String, i64>,
    industries: HashMap<String, i64>,
    stages: HashMap<String, i64>,
    /// (field, value as written) to the choice it means: a column holds a few distinct
    /// values, and matching one against every label in both languages is not cheap.
    choices: RefCell<HashMap<(&'static str, String), Option<String>>>,
}

fn key(s: &str) -> String {
    mapping::normalize_header(s)
}

impl Resolver {
    /// Reads users (by email and name), industries and stages (by name and `parent/child`).
    pub fn load(conn: &Connection) -> rusqlite::Result<Resolver> {
        let mut users = HashMap::new();
        for u in crate::crm::users::store::list(conn)? {
            if u.disabled_at.is_none() {
                users.insert(u.email.to_lowercase(), u.id);
                users.entry(key(&u.name)).or_insert(u.id);
            }
        }
        let mut industries = HashMap::new();
        for s in crate::crm::industries::tree(conn)? {
            industries.entry(key(&s.name)).or_insert(s.id);
            for (id, name) in &s.children {
                industries.insert(key(&format!("{}/{name}", s.name)), *id);
                industries.entry(key(name)).or_insert(*id);
            }
        }
        let mut stages = HashMap::new();
        let pipelines = crate::crm::deals::store::pipelines(conn)?;
        for s in crate::crm::deals::store::all_stages(conn)? {
            stages.entry(key(&s.name)).or_insert(s.id);
            if let Some(p) = pipelines.iter().find(|p| p.id == s.pipeline_id) {
                stages.insert(key(&format!("{}/{}", p.name, s.name)), s.id);
            }
        }
        Ok(Resolver {
            users,
            industries,
            stages,
            choices: RefCell::default(),
        })
    }

    /// [`choice`], remembered per field and value.
    fn choice(&self, field: &'static str, options: &[&str], raw: &str) -> Option<String> {
        let key = (field, raw.to_string());
        if let Some(known) = self.choices.borrow().get(&key) {
            return known.clone();
        }
        let found = choice(field, options, raw);
        self.choices.borrow_mut().insert(key, found.clone());
        found
    }
}

/// A choice given by its code, or by its label in either language, or by a label it
/// contains ("官网表单" → website); `None` when nothing matches.
pub fn choice(field: &str, options: &[&str], raw: &str) -> Option<String> {
    let wanted = key(raw);
    // Words other CRMs use for the lifecycle.
    const STATUS_WORDS: &[(&str, &str)] = &[
        ("opportunity", "prospect"),
        ("意向", "prospect"),
        ("潜在", "prospect"),
        ("evangelist", "customer"),
        ("成交", "customer"),
        ("签约", "customer"),
        ("流失", "churned"),
        ("former", "churned"),
    ];
    if field == "status"
        && let Some((_, code)) = STATUS_WORDS.iter().find(|(w, _)| wanted.contains(w))
        && options.contains(code)
    {
        return Some((*code).to_string());
    }
    let labels = |o: &str| {
        Lang::ALL
            .iter()
            .map(|l| key(&l.tr(&format!("record.{field}.{o}"))))
            .chain([key(o)])
            .collect::<Vec<_>>()
    };
    if let Some(o) = options.iter().find(|o| labels(o).contains(&wanted)) {
        return Some((*o).to_string());
    }
    options
        .iter()
        .find(|o| {
            labels(o).iter().any(|l| {
                l.chars().count() >= 2
                    && (wanted.contains(l.as_str())
                        || l.contains(&wanted) && wanted.chars().count() >= 2)
            })
        })
        .map(|o| (*o).to_string())
}

/// A date as `YYYY-MM-DD` from the ways spreadsheets write one.
pub fn date(raw: &str) -> Option<String> {
    let head: String = raw
        .trim()
        .replace(['/', '.', '年', '月'], "-")
        .replace('日', "");
    let head = head.split([' ', 'T']).next().unwrap_or_default();
    chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .ok()
        .map(|d| d.to_string())
}

/// What one row becomes before validation.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Form inputs.
    pub input: Params,
    /// Problems found while resolving names: field to message key.
    pub errors: Vec<(String, String)>,
    /// Values left out, with the reason (an unknown industry, a choice not offered).
    pub warnings: Vec<String>,
    /// Tags to put on the record.
    pub tags: Vec<String>,
    /// The fields the row gave a value for (an update changes only these).
    pub provided: Vec<String>,
}

/// Builds a row's inputs from `mapping` (per column: a field name, `custom.KEY` or `tags`).
pub fn row(
    e: &Entity,
    mapping: &[Option<String>],
    names: Option<(usize, usize)>,
    row: &Row,
    r: &Resolver,
) -> Prepared {
    let mut p = Prepared::default();
    if let Some((first, last)) = names
        && !mapping.iter().any(|m| m.as_deref() == Some("name"))
    {
        let joined = mapping::join_name(row.cell(first), row.cell(last));
        p.input.insert("name".into(), joined);
    }
    for (col, target) in mapping.iter().enumerate() {
        let (Some(target), raw) = (target, row.cell(col).trim()) else {
            continue;
        };
        if raw.is_empty() {
            continue;
        }
        if target == "tags" {
            p.tags.extend(
                raw.split([';', ',', '，', '；', '、'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            );
            continue;
        }
        if let Some(custom) = target.strip_prefix("custom.") {
            p.input
                .insert(crate::crm::fields::input_name(custom), raw.to_string());
            continue;
        }
        let Some(f) = e.field(target) else {
            continue;
        };
        let value = match f.kind {
            Kind::User => match r
                .users
                .get(&raw.to_lowercase())
                .or_else(|| r.users.get(&key(raw)))
            {
                Some(id) => id.to_string(),
                // An owner Kith does not know: the record goes to whoever imports it.
                None => {
                    p.warnings.push(format!("{}: {raw}", f.name));
                    continue;
                }
            },
            Kind::Industry => match r.industries.get(&key(raw)) {
                Some(id) => id.to_string(),
                None => {
                    p.warnings.push(format!("{}: {raw}", f.name));
                    continue;
                }
            },
            Kind::Stage => match r.stages.get(&key(raw)) {
                Some(id) => id.to_string(),
                None => {
                    p.errors.push((f.name.into(), "import.error.stage".into()));
                    continue;
                }
            },
            Kind::Select(options) => match r.choice(f.name, options, raw) {
                Some(code) => code,
                None => {
                    p.warnings.push(format!("{}: {raw}", f.name));
                    continue;
                }
            },
            Kind::Date => date(raw).unwrap_or_else(|| raw.to_string()),
            _ => raw.to_string(),
        };
        p.input.insert(f.name.into(), value);
    }
    p.provided = p.input.keys().cloned().collect();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_found_by_code_label_or_a_label_they_contain() {
        let sources = crate::crm::records::SOURCES;
        assert_eq!(
            choice("source", sources, "website").as_deref(),
            Some("website")
        );
        assert_eq!(
            choice("source", sources, "官网表单").as_deref(),
            Some("website")
        );
        assert_eq!(
            choice("source", sources, "电话营销").as_deref(),
            Some("phone")
        );
        assert_eq!(
            choice("source", sources, "展会").as_deref(),
            Some("exhibition")
        );
        assert_eq!(
            choice("source", sources, "Trade Show").as_deref(),
            Some("exhibition")
        );
        assert_eq!(choice("source", sources, "木星"), None);
        let statuses = crate::crm::records::STATUSES;
        assert_eq!(
            choice("status", statuses, "成交客户").as_deref(),
            Some("customer")
        );
        assert_eq!(
            choice("status", statuses, "Customer").as_deref(),
            Some("customer")
        );
    }

    #[test]
    fn dates_come_in_many_spellings() {
        for raw in [
            "2026-03-05",
            "2026/3/5",
            "2026年3月5日",
            "2026-03-05 10:23",
            "2026.03.05",
        ] {
            assert_eq!(date(raw).as_deref(), Some("2026-03-05"), "{raw}");
        }
        assert_eq!(date("next week"), None);
    }
}
