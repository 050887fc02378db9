//! Assignment rules: who a new lead goes to. Rules are tried in order; the first whose
//! conditions all hold and that has someone to give the lead to places it — with a
//! department's active members taking turns (round robin) or the one holding the fewest
//! open leads getting it (least open), or with one fixed person. A rule without conditions
//! catches every lead; when nothing matches, the lead stays unassigned.
//!
//! Fairness under concurrency comes from the write path: every assignment runs inside the
//! one writer transaction that also moves the rule's round-robin pointer, so two leads
//! arriving together are placed one after the other, never both on the same turn.

use super::LEADS;
use super::rules_store as store;
use crate::audit::Event;
use crate::crm::records::{self, Values};
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How a rule picks the person, as stored.
pub const METHODS: &[&str] = &["round_robin", "least_open", "fixed"];

/// Lead fields a condition may test, besides custom fields (`custom.<key>`).
pub const CONDITION_FIELDS: &[&str] = &["province", "city", "source", "industry_id"];

/// The notification kind an assignee receives (`notification.lead_assigned`).
pub const LEAD_ASSIGNED: &str = "lead_assigned";

/// One test of a rule: the lead's `field` has one of the values listed in `value`
/// (separated by commas).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// A name from [`CONDITION_FIELDS`] or `custom.<key>`.
    pub field: String,
    /// The wanted value(s): source codes and industry ids as stored, other fields as typed.
    pub value: String,
}

/// A rule as an administrator submits it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleInput {
    /// Name shown in the list and the audit log.
    pub name: String,
    /// Conditions that must all hold.
    pub conditions: Vec<Condition>,
    /// Target department (round robin, least open).
    pub department_id: Option<i64>,
    /// Target person (fixed).
    pub user_id: Option<i64>,
    /// One of [`METHODS`].
    pub method: String,
    /// Tried at all.
    pub active: bool,
}

/// The alternatives listed in a condition's value.
pub fn alternatives(value: &str) -> Vec<String> {
    value
        .split([',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A province or city reduced for comparison, so "广东", "广东省" and "Guangdong Province"
/// are one region.
pub fn region_key(s: &str) -> String {
    let mut k: String = s.trim().to_lowercase();
    for suffix in [
        "特别行政区",
        "自治区",
        "壮族",
        "回族",
        "维吾尔",
        "省",
        "市",
        " province",
        " city",
    ] {
        if let Some(stripped) = k.strip_suffix(suffix)
            && !stripped.is_empty()
        {
            k = stripped.trim_end().to_string();
        }
    }
    k
}

fn text_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.trim().to_lowercase()],
        Some(Value::Number(n)) => vec![n.to_string()],
        Some(Value::Bool(true)) => vec!["1".into(), "true".into(), "yes".into(), "是".into()],
        Some(Value::Array(a)) => a.iter().flat_map(|x| text_of(Some(x))).collect(),
        _ => Vec::new(),
    }
}

/// Whether a lead's stored values meet a condition.
fn holds(conn: &Connection, lead: &Values, c: &Condition) -> rusqlite::Result<bool> {
    let wanted = alternatives(&c.value);
    Ok(match c.field.as_str() {
        "province" | "city" => {
            let have = text_of(lead.get(&c.field));
            have.iter()
                .any(|h| wanted.iter().any(|w| region_key(w) == region_key(h)))
        }
        "source" => {
            let have = text_of(lead.get("source"));
            have.iter().any(|h| wanted.iter().any(|w| w == h))
        }
        "industry_id" => match lead.get("industry_id").and_then(Value::as_i64) {
            // A sector matches its sub-industries too.
            Some(id) => {
                let parent = store::industry_parent(conn, id)?;
                wanted
                    .iter()
                    .filter_map(|w| w.parse::<i64>().ok())
                    .any(|w| w == id || Some(w) == parent)
            }
            None => false,
        },
        field => match field.strip_prefix("custom.") {
            Some(key) => {
                let have = text_of(lead.get("custom").and_then(|c| c.get(key)));
                have.iter()
                    .any(|h| wanted.iter().any(|w| w.to_lowercase() == *h))
            }
            None => false,
        },
    })
}

/// Who a rule gives its next lead to, if it has anyone.
fn pick(conn: &Connection, rule: &store::Rule) -> rusqlite::Result<Option<i64>> {
    if rule.method == "fixed" {
        return Ok(match rule.user_id {
            Some(u) if store::user_active(conn, u)? => Some(u),
            _ => None,
        });
    }
    let Some(dept) = rule.department_id else {
        return Ok(None);
    };
    let mut members = store::members_with_open_leads(conn, dept)?;
    if rule.method == "least_open" {
        let fewest = members.iter().map(|m| m.1).min().unwrap_or(0);
        members.retain(|m| m.1 == fewest);
    }
    // Members are in id order: the turn passes to the first after the last one served, so
    // someone leaving or joining does not reset the others' turns. Ties of least open are
    // broken the same way.
    let after = rule.last_user_id.unwrap_or(i64::MIN);
    Ok(members
        .iter()
        .find(|m| m.0 > after)
        .or_else(|| members.first())
        .map(|m| m.0))
}

/// Routes a new lead by the active rules: the first rule whose conditions all hold and
/// that has an active person to give it to assigns it (audited as a change of owner),
/// notes itself on the lead, records in the audit log which rule matched, and notifies
/// the assignee. Returns the assignee, or `None` when no rule placed the lead.
pub fn assign_new_lead(tx: &mut Tx<'_>, lead_id: i64) -> Result<Option<i64>, AppError> {
    let lead = records::store::get(tx.conn(), &LEADS, lead_id)?;
    if lead.deleted_at.is_some() {
        return Ok(None);
    }
    for rule in store::active(tx.conn())? {
        let mut all = true;
        for c in &rule.conditions {
            if !holds(tx.conn(), &lead.values, c)? {
                all = false;
                break;
            }
        }
        if !all {
            continue;
        }
        // A matching rule with nobody to take the lead gives way to the next one.
        let Some(user) = pick(tx.conn(), &rule)? else {
            continue;
        };
        if rule.method != "fixed" {
            store::set_last_user(tx.conn(), rule.id, user)?;
        }
        records::assign(tx, &LEADS, &[lead_id], user)?;
        store::set_lead_rule(tx.conn(), lead_id, rule.id)?;
        tx.audit(
            Event::new("lead_rule.matched")
                .entity("lead", lead_id)
                .change("rule_id", Value::Null, rule.id)
                .change("rule", Value::Null, rule.name.clone())
                .change("owner_id", lead.owner(), user),
        )?;
        if tx.actor().user_id != Some(user) {
            let name = lead.values.get("name").cloned().unwrap_or(Value::Null);
            crate::crm::notifications::notify(
                tx,
                user,
                LEAD_ASSIGNED,
                &json!({ "name": name }),
                &format!("/leads/{lead_id}"),
            )?;
        }
        tracing::info!(
            lead.id = lead_id,
            rule.id = rule.id,
            "Assigned lead {lead_id} by rule {}",
            rule.id
        );
        return Ok(Some(user));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_match_with_or_without_their_administrative_suffix() {
        assert_eq!(region_key("广东省"), region_key("广东"));
        assert_eq!(region_key("广西壮族自治区"), region_key("广西"));
        assert_eq!(region_key("上海市"), region_key("上海"));
        assert_eq!(region_key("Guangdong Province"), region_key("guangdong"));
        assert_ne!(region_key("广东"), region_key("广西"));
    }

    fn cond(field: &str, value: &str) -> Condition {
        Condition {
            field: field.into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_sector_matches_its_industries_and_custom_fields_match_any_chosen_value() {
        let conn = crate::db::memory().unwrap();
        crate::crm::industries::seed_defaults(&conn, "zh-CN").unwrap();
        let sector = &crate::crm::industries::tree(&conn).unwrap()[0];
        let child = sector.children[0].0;
        let lead: Values = serde_json::from_value(json!({
            "industry_id": child, "source": "website", "city": "深圳市",
            "custom": {"f1": ["大客户", "VIP"], "f2": true}
        }))
        .unwrap();
        let holds = |c: Condition| holds(&conn, &lead, &c).unwrap();

        assert!(holds(cond("industry_id", &sector.id.to_string())));
        assert!(holds(cond("industry_id", &format!("1,{child}"))));
        assert!(!holds(cond("industry_id", "0")));
        assert!(holds(cond("city", "广州, 深圳")));
        assert!(!holds(cond("source", "exhibition")));
        assert!(holds(cond("custom.f1", "vip")));
        assert!(holds(cond("custom.f2", "是")));
        assert!(!holds(cond("custom.f3", "x")));
        assert!(
            !holds(cond("owner_id", "1")),
            "only known fields are tested"
        );
    }

    #[test]
    fn a_condition_lists_its_alternatives_with_either_comma() {
        assert_eq!(
            alternatives("广东, 广西，海南、"),
            vec!["广东", "广西", "海南"]
        );
        assert!(alternatives(" , ").is_empty());
    }
}
