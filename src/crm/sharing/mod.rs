//! Record sharing: whoever may edit a record under their role can share it with a colleague
//! or a department (with its sub-departments), to read or to edit. A share widens the
//! scope of viewing (and, for edit shares, editing) that one record; it never lets anyone
//! delete it or share it on. Every share and unshare is audited on the record.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::crm::records::Entity;
use crate::db::Tx;
use crate::error::AppError;

/// Who a record is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A user.
    User(i64),
    /// A department and its sub-departments.
    Department(i64),
}

impl Target {
    /// Parses the form's `u:ID` / `d:ID`.
    pub fn parse(s: &str) -> Option<Target> {
        let (kind, id) = s.trim().split_once(':')?;
        let id: i64 = id.parse().ok()?;
        match kind {
            "u" => Some(Target::User(id)),
            "d" => Some(Target::Department(id)),
            _ => None,
        }
    }

    fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Target::User(id) => (Some(id), None),
            Target::Department(id) => (None, Some(id)),
        }
    }
}

/// The kinds of access a share gives.
pub const ACCESS: [&str; 2] = ["read", "edit"];

fn label(name: &str, access: &str) -> String {
    format!("{name} ({access})")
}

/// Shares a record, or changes the access of an existing share.
pub fn share(
    tx: &mut Tx<'_>,
    e: &Entity,
    record: i64,
    target: Target,
    access: &str,
) -> Result<(), AppError> {
    if !ACCESS.contains(&access) {
        return Err(AppError::invalid("access", "share.error.access"));
    }
    let rec = crate::crm::records::store::get(tx.conn(), e, record)?;
    if rec.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let name = match target {
        Target::User(id) => {
            let u = crate::crm::users::store::get(tx.conn(), id)
                .map_err(|_| AppError::invalid("target", "share.error.target"))?;
            if u.disabled_at.is_some() {
                return Err(AppError::invalid("target", "share.error.target"));
            }
            if rec.owner() == Some(id) {
                return Err(AppError::invalid("target", "share.error.owner"));
            }
            u.name
        }
        Target::Department(id) => {
            crate::crm::departments::store::get(tx.conn(), id)?
                .ok_or_else(|| AppError::invalid("target", "share.error.target"))?
                .name
        }
    };
    let (user, department) = target.columns();
    let existing = store::find(tx.conn(), e.table, record, user, department)?;
    let before = match &existing {
        Some(s) if s.access == access => return Ok(()),
        Some(s) => {
            store::set_access(tx.conn(), s.id, access)?;
            Some(label(&name, &s.access))
        }
        None => {
            let by = tx.actor().user_id;
            store::insert(tx.conn(), e.table, record, user, department, access, by)?;
            None
        }
    };
    tx.audit(
        Event::new(&format!("{}.share", e.kind))
            .entity(e.kind, record)
            .change("shared_with", before, label(&name, access)),
    )?;
    Ok(())
}

/// Removes a share of a record.
pub fn unshare(tx: &mut Tx<'_>, e: &Entity, record: i64, share: i64) -> Result<(), AppError> {
    let s = store::get(tx.conn(), share)?
        .filter(|s| s.entity == e.table && s.record_id == record)
        .ok_or(AppError::NotFound)?;
    store::delete(tx.conn(), s.id)?;
    tx.audit(
        Event::new(&format!("{}.unshare", e.kind))
            .entity(e.kind, record)
            .change("shared_with", label(&s.name, &s.access), None::<String>),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_from_the_form() {
        assert_eq!(Target::parse("u:12"), Some(Target::User(12)));
        assert_eq!(Target::parse(" d:3 "), Some(Target::Department(3)));
        assert_eq!(Target::parse("x:3"), None);
        assert_eq!(Target::parse("u:"), None);
        assert_eq!(Target::parse(""), None);
    }
}
