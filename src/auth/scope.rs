//! Data scopes: whose customer records a user may see and change. Administrators, service
//! agents (who must find any caller) and viewers see all; a manager sees their team (their
//! reports at any depth and their department with its sub-departments); a sales rep sees
//! their own. A record outside the scope answers 404 on every path, as if it did not exist.

use super::Role;
use rusqlite::Connection;

/// The owners whose records are visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record.
    All,
    /// Records owned by one of these users (sorted).
    Owners(Vec<i64>),
}

impl Scope {
    /// Works out the scope of a user with a role.
    pub fn of(conn: &Connection, user: i64, role: Role) -> rusqlite::Result<Scope> {
        match Scope::without_lookup(user, role) {
            Some(s) => Ok(s),
            None => Ok(Scope::Owners(crate::crm::departments::store::team(
                conn, user,
            )?)),
        }
    }

    /// The scope when it needs no look-up in the database (every role but manager).
    pub fn without_lookup(user: i64, role: Role) -> Option<Scope> {
        match role {
            Role::Admin | Role::Service | Role::Viewer => Some(Scope::All),
            Role::Sales => Some(Scope::Owners(vec![user])),
            Role::Manager => None,
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
