//! Data scopes: whose records an action reaches. A role grants each action on each area a
//! [`Level`]: own records, those of the user's reports at any depth, those of their
//! department with its sub-departments (and their reports), or all. A record outside the
//! scope answers 404 on every path, as if it did not exist.

use super::Level;
use rusqlite::Connection;

/// The owners whose records are reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Records owned by one of these users (sorted; empty for none).
    Owners(Vec<i64>),
}

impl Scope {
    /// Works out the scope of a level for a user.
    pub fn of(conn: &Connection, user: i64, level: Level) -> rusqlite::Result<Scope> {
        use crate::crm::departments::store as departments;
        match Scope::without_lookup(user, level) {
            Some(s) => Ok(s),
            None if level == Level::Subordinates => {
                Ok(Scope::Owners(departments::subordinates(conn, user)?))
            }
            None => Ok(Scope::Owners(departments::team(conn, user)?)),
        }
    }

    /// The scope when it needs no look-up in the database.
    pub fn without_lookup(user: i64, level: Level) -> Option<Scope> {
        match level {
            Level::All => Some(Scope::All),
            Level::Own => Some(Scope::Owners(vec![user])),
            Level::None => Some(Scope::Owners(vec![])),
            Level::Subordinates | Level::Department => None,
        }
    }

    /// Whether a record with this owner is visible.
    pub fn allows(&self, owner: Option<i64>) -> bool {
        match self {
            Scope::All => true,
            Scope::Owners(ids) => owner.is_some_and(|o| ids.binary_search(&o).is_ok()),
        }
    }

    /// The owners to filter on, or `None` for every record.
    pub fn owners(&self) -> Option<&[i64]> {
        match self {
            Scope::All => None,
            Scope::Owners(ids) => Some(ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_decide_visibility_and_unowned_records_need_the_all_scope() {
        let s = Scope::Owners(vec![2, 5, 9]);
        assert!(s.allows(Some(5)));
        assert!(!s.allows(Some(3)));
        assert!(!s.allows(None));
        assert!(Scope::All.allows(None));
    }
}
