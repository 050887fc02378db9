//! What a list request asks for, read once from its parameters for every way a list is
//! served: the HTML list, the API and exports. Filters on fields the viewer may not see
//! are ignored (they would tell what the field holds); the data scope always applies.

use super::store::ListQuery;
use super::{Entity, Kind};
use crate::auth::scope::Scope;
use crate::crm::fields::CustomField;
use std::collections::HashMap;

/// Built-in fields that can be filtered on by their exact value.
const FIELD_FILTERS: &[&str] = &["source", "province", "city", "title", "stage_id"];

/// A list request's parameters, with the field rules of the viewer applied.
pub struct Params<'a> {
    params: &'a HashMap<String, String>,
    hidden: &'a [String],
}

impl<'a> Params<'a> {
    /// Reads `params` for a viewer who may not see the `hidden` fields.
    pub fn new(params: &'a HashMap<String, String>, hidden: &'a [String]) -> Params<'a> {
        Params { params, hidden }
    }

    /// A filter parameter, unless empty or on a hidden field. Filters go by their page name
    /// (`owner`, `company`, `cf_f1`) or by their field name (`owner_id`, `custom.f1`).
    pub fn get(&self, k: &str) -> Option<String> {
        let field = match k {
            "owner" | "owner_id" => "owner_id",
            "company" | "company_id" => "company_id",
            "industry" | "industry_id" => "industry_id",
            other => other
                .strip_prefix("cf_")
                .or_else(|| other.strip_prefix("custom."))
                .map_or(other, |c| c.split("__").next().unwrap_or(c)),
        };
        let custom = format!("custom.{field}");
        let is_custom = k.starts_with("cf_") || k.starts_with("custom.");
        if self
            .hidden
            .iter()
            .any(|h| *h == field || (is_custom && *h == custom))
        {
            return None;
        }
        self.params
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The first of several names a parameter may go by.
    fn any(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.get(n))
    }

    /// The sort as asked (`name`, `-updated_at`), defaulting to newest changes first.
    pub fn sort_param(&self) -> String {
        self.get("sort").unwrap_or_else(|| "-updated_at".into())
    }

    /// The sort column (from the entity's allow-list) and whether it is descending.
    pub fn sort(&self, e: &Entity) -> (&'static str, bool) {
        let sort_param = self.sort_param();
        let (desc, name) = match sort_param.strip_prefix('-') {
            Some(s) => (true, s),
            None => (false, sort_param.as_str()),
        };
        let sort = e
            .sorts
            .iter()
            .find(|s| **s == name)
            .copied()
            .unwrap_or("updated_at");
        (sort, desc)
    }

    /// The list query: filters, sort and the viewer's scope; the caller sets `after`.
    pub fn query(&self, e: &Entity, custom: &[CustomField], scope: &Scope) -> ListQuery {
        let (sort, desc) = self.sort(e);
        let custom = custom
            .iter()
            .filter_map(|f| {
                self.any(&[
                    &crate::crm::fields::input_name(&f.key),
                    &format!("custom.{}", f.key),
                ])
                .map(|v| (f.key.clone(), v))
            })
            .collect();
        let fields = FIELD_FILTERS
            .iter()
            .filter(|name| e.field(name).is_some())
            .filter_map(|name| self.get(name).map(|v| (name.to_string(), v)))
            .collect();
        let id = |names: &[&str]| self.any(names).and_then(|o| o.parse().ok());
        ListQuery {
            owners: scope.owners().map(<[i64]>::to_vec),
            shared: scope.shared().to_vec(),
            departments: scope.departments().cloned(),
            fields,
            custom,
            status: self
                .get("status")
                .filter(|_| matches!(e.field("status").map(|f| f.kind), Some(Kind::Select(_)))),
            owner_id: id(&["owner", "owner_id"]),
            company_id: id(&["company", "company_id"]),
            tag_id: id(&["tag", "tag_id"]),
            industry_id: id(&["industry", "industry_id"]),
            sort,
            desc,
            after: None,
            name_contains: None,
        }
    }
}

/// The keyset position after `rec` in a list sorted by `sort`: its sort value and id.
pub fn position(rec: &super::store::Record, sort: &str) -> (String, i64) {
    use serde_json::Value as Json;
    let value = match rec.values.get(sort) {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => match sort {
            "created_at" => rec.created_at.clone(),
            _ => rec.updated_at.clone(),
        },
    };
    (value, rec.id)
}
