//! Public pools (公海): leads and companies nobody follows up go back to a pool, and reps
//! claim from it, up to a limit, so no customer sits forgotten in one rep's list.
//!
//! The rules, as administrators and reps see them:
//!
//! - **Which records a pool watches.** A pool watches every live record of its entity whose
//!   owner sits in the pool's department or one below it; a pool without a department
//!   watches everybody's. When several active pools of an entity could watch an owner, the
//!   most specific one does: the pool of the owner's own department, else of the nearest
//!   department above, else the pool without a department (the lowest id among equals). So
//!   each record is watched by at most one pool, and a company-wide pool catches whatever
//!   no team pool covers. Converted leads never go back.
//! - **Going back.** A watched record returns when it was last touched more than `days`
//!   days ago, "touched" being the latest of its last follow-up, when its owner took it
//!   from a pool, and its creation (see [`jobs::reclaim`]).
//! - **Who claims.** Anyone with the right to edit records of the entity who sits in the
//!   pool's department (with its sub-departments); anyone at all when it has none.
//! - **The claim limit** is explained at [`moves::claim`].
//! - **Inactive pools** take no records (neither by reclaim nor by release) and only
//!   administrators see them, who can still hand out what is left in them.
//!
//! Every move is audited on the record (`lead.claim`, `company.release`, …), so it shows in
//! the history on the record's page.

pub mod admin;
pub mod jobs;
pub mod moves;
pub mod pages;
pub mod release;
mod settings;
pub mod store;

pub use settings::{FieldErrors, PoolInput, ValidPool, create, update};

use crate::auth::{Action, Area, CurrentUser, Level, Permission};
use crate::crm::records::Entity;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The notification a rep gets when records were taken back from them.
pub const POOL_RECLAIMED: &str = "pool_reclaimed";
/// The notification a rep gets when a manager gives them records from a pool.
pub const POOL_ASSIGNED: &str = "pool_assigned";

/// What a pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolEntity {
    /// Leads (线索).
    Leads,
    /// Companies (客户).
    Companies,
}

impl PoolEntity {
    /// Both, in the order forms offer them.
    pub const ALL: [PoolEntity; 2] = [PoolEntity::Leads, PoolEntity::Companies];

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<PoolEntity> {
        PoolEntity::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The stored name, also the records' table.
    pub fn as_str(self) -> &'static str {
        self.table()
    }

    /// The records' table.
    pub fn table(self) -> &'static str {
        match self {
            PoolEntity::Leads => "leads",
            PoolEntity::Companies => "companies",
        }
    }

    /// The record entity.
    pub fn entity(self) -> &'static Entity {
        match self {
            PoolEntity::Leads => &crate::crm::leads::LEADS,
            PoolEntity::Companies => &crate::crm::companies::COMPANIES,
        }
    }

    /// The permission area of its records.
    pub fn area(self) -> Area {
        self.entity().area
    }

    /// The singular name audit entries use (`lead`, `company`).
    pub fn kind(self) -> &'static str {
        self.entity().kind
    }
}

/// A pool as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    /// Id.
    pub id: i64,
    /// Name, unique.
    pub name: String,
    /// What it holds.
    pub entity: PoolEntity,
    /// Days without a follow-up after which a watched record returns.
    pub days: i64,
    /// The claim limit per rep (see [`moves::claim`]).
    pub claim_limit: i64,
    /// Who may claim (with sub-departments); `None` for everyone.
    pub department_id: Option<i64>,
    /// That department's name.
    pub department_name: Option<String>,
    /// Takes records and is shown to reps.
    pub active: bool,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// What a user may do with one pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rights {
    /// Take its records for themself.
    pub claim: bool,
    /// Give its records to people they manage.
    pub assign: bool,
    /// Administer pools.
    pub admin: bool,
}

impl Rights {
    /// Works out a user's rights on a pool; `in_department` says whether they sit in the
    /// pool's department (or one below it). Managers are those whose role edits other
    /// people's records of the entity (own + subordinates or wider).
    pub fn of(me: &CurrentUser, pool: &Pool, in_department: bool) -> Rights {
        let admin = me.can(Permission::ManageSettings);
        let edit = me.level(pool.entity.area(), Action::Edit);
        let member = pool.department_id.is_none() || in_department;
        Rights {
            claim: pool.active && edit != Level::None && member,
            assign: admin || (pool.active && edit >= Level::Subordinates),
            admin,
        }
    }

    /// Whether the pool page is shown at all.
    pub fn see(&self) -> bool {
        self.claim || self.assign || self.admin
    }
}

/// Which active pool of `entity` watches each owner (see the module docs): pool id to the
/// owners it watches. `departments` is (id, parent), `users` is (id, department).
pub fn watchers(
    pools: &[Pool],
    entity: PoolEntity,
    departments: &[(i64, Option<i64>)],
    users: &[(i64, Option<i64>)],
) -> BTreeMap<i64, Vec<i64>> {
    let mut active: Vec<&Pool> = pools
        .iter()
        .filter(|p| p.active && p.entity == entity)
        .collect();
    active.sort_by_key(|p| p.id);
    let mut by_department: HashMap<i64, i64> = HashMap::new();
    for p in &active {
        if let Some(d) = p.department_id {
            by_department.entry(d).or_insert(p.id);
        }
    }
    let everyone = active
        .iter()
        .find(|p| p.department_id.is_none())
        .map(|p| p.id);
    let parent: HashMap<i64, Option<i64>> = departments.iter().copied().collect();
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (user, department) in users {
        let mut here = *department;
        let mut found = None;
        // Walk up the tree (bounded, in case of a loop) to the nearest department with a pool.
        for _ in 0..64 {
            let Some(d) = here else { break };
            if let Some(p) = by_department.get(&d) {
                found = Some(*p);
                break;
            }
            here = parent.get(&d).copied().flatten();
        }
        if let Some(p) = found.or(everyone) {
            out.entry(p).or_default().push(*user);
        }
    }
    out
}

/// Up to three names for a notification, with "…" when there are more.
pub fn notify_names(names: &[String]) -> String {
    let mut s = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        s.push_str(", …");
    }
    s
}

#[cfg(test)]
mod tests;
