//! Data scopes: whose records an action reaches. A role grants each action on each area a
//! [`Level`]: own records, those of the user's reports at any depth, those of their
//! department with its sub-departments (and their reports), or all. A record outside the
//! scope answers 404 on every path, as if it did not exist.

use super::Level;
use rusqlite::Connection;

/// The records an action reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Records owned by one of `owners`, and the records in `shared` (shared with the user
    /// or their department). Both sorted; both empty for none.
    Some {
        /// Owners whose records are reached.
        owners: Vec<i64>,
        /// Ids of records shared with the user for this action.
        shared: Vec<i64>,
        /// For a department scope, the same owners as whole departments and the rest.
        departments: Option<Departments>,
    },
}

/// The owners of a department scope again, as departments whose every member is an owner
/// (their records carry the department, so a list reads one index range per department)
/// and the owners outside those departments. Both sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Departments {
    /// Departments whose members' records are all reached.
    pub ids: Vec<i64>,
    /// Owners reached who are in none of `ids` (reports placed elsewhere).
    pub others: Vec<i64>,
}

impl Scope {
    /// Records owned by these users.
    pub fn owners_only(owners: Vec<i64>) -> Scope {
        Scope::Some {
            owners,
            shared: Vec::new(),
            departments: None,
        }
    }

    /// Works out the scope of a level for a user (without shares).
    pub fn of(conn: &Connection, user: i64, level: Level) -> rusqlite::Result<Scope> {
        use crate::crm::departments::store as departments;
        match Scope::without_lookup(user, level) {
            Some(s) => Ok(s),
            None if level == Level::Subordinates => {
                Ok(Scope::owners_only(departments::subordinates(conn, user)?))
            }
            None => {
                let (ids, others) = departments::team_departments(conn, user)?;
                Ok(Scope::Some {
                    owners: departments::team(conn, user)?,
                    shared: Vec::new(),
                    departments: Some(Departments { ids, others }),
                })
            }
        }
    }

    /// The scope when it needs no look-up in the database.
    pub fn without_lookup(user: i64, level: Level) -> Option<Scope> {
        match level {
            Level::All => Some(Scope::All),
            Level::Own => Some(Scope::owners_only(vec![user])),
            Level::None => Some(Scope::owners_only(vec![])),
            Level::Subordinates | Level::Department => None,
        }
    }

    /// Adds records shared with the user.
    pub fn with_shared(self, mut ids: Vec<i64>) -> Scope {
        match self {
            Scope::All => Scope::All,
            Scope::Some {
                owners,
                departments,
                ..
            } => {
                ids.sort_unstable();
                ids.dedup();
                Scope::Some {
                    owners,
                    shared: ids,
                    departments,
                }
            }
        }
    }

    /// Whether records with this owner are reached (shares aside).
    pub fn allows(&self, owner: Option<i64>) -> bool {
        match self {
            Scope::All => true,
            Scope::Some { owners, .. } => owner.is_some_and(|o| owners.binary_search(&o).is_ok()),
        }
    }

    /// Whether this record is reached: by its owner or because it is shared.
    pub fn allows_record(&self, owner: Option<i64>, id: i64) -> bool {
        self.allows(owner) || self.shared().binary_search(&id).is_ok()
    }

    /// The owners to filter on, or `None` for every record.
    pub fn owners(&self) -> Option<&[i64]> {
        match self {
            Scope::All => None,
            Scope::Some { owners, .. } => Some(owners),
        }
    }

    /// The owners as departments and others, for a department scope.
    pub fn departments(&self) -> Option<&Departments> {
        match self {
            Scope::All => None,
            Scope::Some { departments, .. } => departments.as_ref(),
        }
    }

    /// Records reached because they are shared.
    pub fn shared(&self) -> &[i64] {
        match self {
            Scope::All => &[],
            Scope::Some { shared, .. } => shared,
        }
    }

    /// Whether nothing at all is reached.
    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Some { owners, shared, .. } if owners.is_empty() && shared.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_decide_visibility_and_unowned_records_need_the_all_scope() {
        let s = Scope::owners_only(vec![2, 5, 9]).with_shared(vec![40, 7]);
        assert!(s.allows(Some(5)));
        assert!(!s.allows(Some(3)));
        assert!(!s.allows(None));
        assert!(Scope::All.allows(None));
        assert!(s.allows_record(Some(3), 7), "shared");
        assert!(!s.allows_record(Some(3), 8));
        assert!(Scope::owners_only(vec![]).is_empty() && !s.is_empty());
    }
}
