//! What a role grants: for each area (companies, contacts, … settings) and each action
//! (view, create, edit, delete, export) a data scope (none, own, own + subordinates,
//! department, all), and per area field rules (hidden or read-only). Built-in roles are
//! defined here; an administrator copies one into a custom role and changes it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A part of the CRM that permissions are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Customer companies.
    Companies,
    /// Contacts.
    Contacts,
    /// Leads.
    Leads,
    /// Deals.
    Deals,
    /// Quotes.
    Quotes,
    /// Service tickets.
    Tickets,
    /// The product catalog.
    Products,
    /// Reports and dashboards.
    Reports,
    /// Administration: users, departments, roles, fields, settings, backups, the audit log.
    Settings,
}

impl Area {
    /// Every area, in the order the roles editor lists them.
    pub const ALL: [Area; 9] = [
        Area::Companies,
        Area::Contacts,
        Area::Leads,
        Area::Deals,
        Area::Quotes,
        Area::Tickets,
        Area::Products,
        Area::Reports,
        Area::Settings,
    ];

    /// The stored name (also the i18n key suffix).
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Companies => "companies",
            Area::Contacts => "contacts",
            Area::Leads => "leads",
            Area::Deals => "deals",
            Area::Quotes => "quotes",
            Area::Tickets => "tickets",
            Area::Products => "products",
            Area::Reports => "reports",
            Area::Settings => "settings",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether records of this area carry an owner, so scopes narrower than "all" apply.
    pub fn owned(self) -> bool {
        !matches!(self, Area::Products | Area::Settings)
    }

    /// Records of this area exist in this version (the roles editor shows only these).
    pub fn available(self) -> bool {
        matches!(
            self,
            Area::Companies
                | Area::Contacts
                | Area::Leads
                | Area::Deals
                | Area::Quotes
                | Area::Products
                | Area::Settings
        )
    }
}

/// What is done with records of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// See lists, pages, search results and attachments.
    View,
    /// Create records (owned by someone inside the scope).
    Create,
    /// Change records, their tags, follow-ups, tasks and attachments.
    Edit,
    /// Move records to the trash and restore them.
    Delete,
    /// Export lists.
    Export,
}

impl Action {
    /// Every action, in editor order.
    pub const ALL: [Action; 5] = [
        Action::View,
        Action::Create,
        Action::Edit,
        Action::Delete,
        Action::Export,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Export => "export",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How far an action reaches: each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not at all.
    None,
    /// Records the user owns (本人).
    Own,
    /// …and those of their reports at any depth (下属).
    Subordinates,
    /// …and those of everyone in their department and its sub-departments (部门).
    Department,
    /// Every record (全部).
    All,
}

impl Level {
    /// Every level, in editor order.
    pub const ALL: [Level; 5] = [
        Level::None,
        Level::Own,
        Level::Subordinates,
        Level::Department,
        Level::All,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Own => "own",
            Level::Subordinates => "subordinates",
            Level::Department => "department",
            Level::All => "all",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A rule on one field for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldRule {
    /// Never shown: not on forms, pages, lists, search results or history; not saved.
    Hidden,
    /// Shown but never changed by this role, whatever a request carries.
    ReadOnly,
}

impl FieldRule {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldRule::Hidden => "hidden",
            FieldRule::ReadOnly => "readonly",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<FieldRule> {
        match s {
            "hidden" => Some(FieldRule::Hidden),
            "readonly" => Some(FieldRule::ReadOnly),
            _ => None,
        }
    }
}

/// Everything a role grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// Area → action → level; anything missing is [`Level::None`].
    #[serde(default)]
    pub grants: BTreeMap<Area, BTreeMap<Action, Level>>,
    /// Area → field name (custom fields as `custom.KEY`) → rule.
    #[serde(default)]
    pub fields: BTreeMap<Area, BTreeMap<String, FieldRule>>,
}

impl Access {
    /// How far `action` on `area` reaches.
    pub fn level(&self, area: Area, action: Action) -> Level {
        self.grants
            .get(&area)
            .and_then(|a| a.get(&action))
            .copied()
            .unwrap_or(Level::None)
    }

    /// The rule on a field, if any.
    pub fn rule(&self, area: Area, field: &str) -> Option<FieldRule> {
        self.fields.get(&area).and_then(|f| f.get(field)).copied()
    }

    /// The field rules of an area.
    pub fn rules(&self, area: Area) -> BTreeMap<String, FieldRule> {
        self.fields.get(&area).cloned().unwrap_or_default()
    }

    /// Sets a grant, keeping areas without owners at none or all.
    pub fn set(&mut self, area: Area, action: Action, level: Level) {
        let level = if !area.owned() && level != Level::None {
            Level::All
        } else {
            level
        };
        self.grants.entry(area).or_default().insert(action, level);
    }

    /// Full administration rights.
    pub fn is_admin(&self) -> bool {
        self.level(Area::Settings, Action::Edit) == Level::All
    }

    /// The grants of a built-in role.
    pub fn built_in(role: super::Role) -> Access {
        use super::Role;
        use Action::*;
        let mut a = Access::default();
        let mut grant = |areas: &[Area], actions: &[Action], level: Level| {
            for area in areas {
                for action in actions {
                    a.set(*area, *action, level);
                }
            }
        };
        let customer = [
            Area::Companies,
            Area::Contacts,
            Area::Leads,
            Area::Deals,
            Area::Quotes,
        ];
        let everything = Area::ALL;
        match role {
            Role::Admin => grant(&everything, &Action::ALL, Level::All),
            Role::Manager => {
                grant(&customer, &Action::ALL, Level::Department);
                grant(&[Area::Reports], &[View, Export], Level::Department);
                grant(&[Area::Tickets], &[View], Level::Department);
                grant(&[Area::Products], &[View], Level::All);
            }
            Role::Sales => {
                grant(&customer, &[View, Create, Edit, Delete], Level::Own);
                grant(&[Area::Reports], &[View], Level::Own);
                grant(&[Area::Products], &[View], Level::All);
            }
            Role::Service => {
                grant(
                    &[Area::Companies, Area::Contacts],
                    &[View, Create, Edit],
                    Level::All,
                );
                grant(&[Area::Tickets], &[View, Create, Edit, Delete], Level::All);
                grant(
                    &[Area::Deals, Area::Quotes, Area::Products],
                    &[View],
                    Level::All,
                );
            }
            Role::Viewer => {
                let read: Vec<Area> = Area::ALL
                    .into_iter()
                    .filter(|a| *a != Area::Settings)
                    .collect();
                grant(&read, &[View], Level::All);
            }
        }
        let mut rule = |area: Area, field: &str, r: FieldRule| {
            a.fields.entry(area).or_default().insert(field.into(), r);
        };
        match role {
            // A service agent reads what a deal is worth but does not change it.
            Role::Service => rule(Area::Deals, "amount", FieldRule::ReadOnly),
            // A viewer does not see phone numbers.
            Role::Viewer => {
                rule(Area::Companies, "phone", FieldRule::Hidden);
                rule(Area::Contacts, "mobile", FieldRule::Hidden);
                rule(Area::Contacts, "phone", FieldRule::Hidden);
                rule(Area::Leads, "mobile", FieldRule::Hidden);
                rule(Area::Leads, "phone", FieldRule::Hidden);
            }
            _ => {}
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn built_in_roles_grant_what_their_names_say() {
        let rep = Access::built_in(Role::Sales);
        assert_eq!(rep.level(Area::Companies, Action::Edit), Level::Own);
        assert_eq!(rep.level(Area::Companies, Action::Export), Level::None);
        assert_eq!(rep.level(Area::Settings, Action::View), Level::None);
        assert!(!rep.is_admin());
        assert!(Access::built_in(Role::Admin).is_admin());
        let viewer = Access::built_in(Role::Viewer);
        assert_eq!(viewer.level(Area::Contacts, Action::View), Level::All);
        assert_eq!(viewer.level(Area::Contacts, Action::Edit), Level::None);
        assert_eq!(
            viewer.rule(Area::Contacts, "mobile"),
            Some(FieldRule::Hidden)
        );
        let manager = Access::built_in(Role::Manager);
        assert_eq!(manager.level(Area::Products, Action::View), Level::All);
        assert_eq!(
            manager.level(Area::Deals, Action::Delete),
            Level::Department
        );
    }

    #[test]
    fn levels_are_ordered_and_unowned_areas_are_all_or_nothing() {
        assert!(Level::Own < Level::Subordinates && Level::Department < Level::All);
        let mut a = Access::default();
        a.set(Area::Settings, Action::View, Level::Own);
        assert_eq!(a.level(Area::Settings, Action::View), Level::All);
        a.set(Area::Settings, Action::Edit, Level::None);
        assert_eq!(a.level(Area::Settings, Action::Edit), Level::None);
    }

    #[test]
    fn access_round_trips_through_json() {
        let a = Access::built_in(Role::Viewer);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(json.contains("\"companies\":{\"view\":\"all\"}"), "{json}");
        let back: Access = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(a, back);
    }
}
