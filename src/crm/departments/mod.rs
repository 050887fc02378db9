//! Departments (部门) as a tree, and each user's department and manager: the structure
//! that data scopes ("own + subordinates", "department") are computed from.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use serde::Serialize;
use store::Department;

/// Longest department name, in characters.
const MAX_NAME: usize = 60;

/// A department placed in the tree, for display.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// The department.
    #[serde(flatten)]
    pub department: Department,
    /// 0 for a top-level department.
    pub depth: usize,
    /// The names from the top down to this one, e.g. `销售部 / 华北区`.
    pub path: String,
}

/// The tree in display order: each department followed by its children, by name.
pub fn tree(all: &[Department]) -> Vec<Node> {
    fn walk(
        all: &[Department],
        parent: Option<i64>,
        depth: usize,
        path: &str,
        out: &mut Vec<Node>,
    ) {
        for d in all.iter().filter(|d| d.parent_id == parent) {
            let path = if path.is_empty() {
                d.name.clone()
            } else {
                format!("{path} / {}", d.name)
            };
            out.push(Node {
                department: d.clone(),
                depth,
                path: path.clone(),
            });
            if depth < 32 {
                walk(all, Some(d.id), depth + 1, &path, out);
            }
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(all, None, 0, "", &mut out);
    out
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::invalid("name", "departments.error.name"));
    }
    Ok(name.to_string())
}

fn parent_name(tx: &Tx<'_>, parent: Option<i64>) -> Result<Option<String>, AppError> {
    match parent {
        None => Ok(None),
        Some(p) => Ok(Some(
            store::get(tx.conn(), p)?
                .ok_or_else(|| AppError::invalid("parent_id", "departments.error.parent"))?
                .name,
        )),
    }
}

/// Adds a department under `parent` (or at the top).
pub fn create(tx: &mut Tx<'_>, name: &str, parent: Option<i64>) -> Result<i64, AppError> {
    let name = clean_name(name)?;
    let parent_label = parent_name(tx, parent)?;
    if store::name_taken(tx.conn(), parent, &name, None)? {
        return Err(AppError::invalid("name", "departments.error.taken"));
    }
    let id = store::insert(tx.conn(), &name, parent)?;
    tx.audit(
        Event::new("department.create")
            .entity("department", id)
            .change("name", None::<String>, name)
            .change("parent", None::<String>, parent_label),
    )?;
    Ok(id)
}

/// Renames and/or moves a department; refuses to move it below itself.
pub fn update(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    name: &str,
    parent: Option<i64>,
) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let name = clean_name(name)?;
    if let Some(p) = parent
        && store::subtree(tx.conn(), id)?.contains(&p)
    {
        return Err(AppError::invalid("parent_id", "departments.error.cycle"));
    }
    let new_parent = parent_name(tx, parent)?;
    if store::name_taken(tx.conn(), parent, &name, Some(id))? {
        return Err(AppError::invalid("name", "departments.error.taken"));
    }
    let old_parent = parent_name(tx, old.parent_id)?;
    if store::update(tx.conn(), id, version, &name, parent)? == 0 {
        return Err(AppError::Conflict("departments.error.changed".into()));
    }
    tx.audit(
        Event::new("department.update")
            .entity("department", id)
            .change("name", old.name, name)
            .change("parent", old_parent, new_parent),
    )?;
    Ok(())
}

/// Removes an empty department (no sub-departments, no members).
pub fn delete(tx: &mut Tx<'_>, id: i64) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let (children, members) = store::occupancy(tx.conn(), id)?;
    if children > 0 || members > 0 {
        return Err(AppError::invalid(
            "department",
            "departments.error.not_empty",
        ));
    }
    store::delete(tx.conn(), id)?;
    tx.audit(
        Event::new("department.delete")
            .entity("department", id)
            .change("name", old.name, None::<String>),
    )?;
    Ok(())
}

/// Puts a user in a department under a manager; refuses a manager chain that loops back
/// to the user.
pub fn place(
    tx: &mut Tx<'_>,
    user: i64,
    department: Option<i64>,
    manager: Option<i64>,
) -> Result<(), AppError> {
    let (_, old_department, old_manager) =
        store::place(tx.conn(), user)?.ok_or(AppError::NotFound)?;
    if let Some(m) = manager {
        if m == user || store::manager_chain(tx.conn(), m)?.contains(&user) {
            return Err(AppError::invalid(
                "manager_id",
                "departments.error.manager_cycle",
            ));
        }
        store::place(tx.conn(), m)?
            .ok_or_else(|| AppError::invalid("manager_id", "departments.error.manager"))?;
    }
    let new_department = parent_name(tx, department)
        .map_err(|_| AppError::invalid("department_id", "departments.error.parent"))?;
    let old_department = parent_name(tx, old_department)?;
    let name_of = |tx: &Tx<'_>, id: Option<i64>| -> Result<Option<String>, AppError> {
        Ok(match id {
            Some(i) => store::place(tx.conn(), i)?.map(|p| p.0),
            None => None,
        })
    };
    let (old_manager, new_manager) = (name_of(tx, old_manager)?, name_of(tx, manager)?);
    store::set_place(tx.conn(), user, department, manager)?;
    tx.audit(
        Event::new("user.place")
            .entity("user", user)
            .change("department", old_department, new_department)
            .change("manager", old_manager, new_manager),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: i64, name: &str, parent: Option<i64>) -> Department {
        Department {
            id,
            name: name.into(),
            parent_id: parent,
            version: 1,
        }
    }

    #[test]
    fn the_tree_lists_children_under_their_parents_in_order() {
        let all = vec![
            d(3, "华东区", Some(1)),
            d(1, "销售部", None),
            d(2, "华北区", Some(1)),
            d(4, "客服部", None),
        ];
        let t: Vec<(String, usize)> = tree(&all).into_iter().map(|n| (n.path, n.depth)).collect();
        assert_eq!(
            t,
            vec![
                ("销售部".to_string(), 0),
                ("销售部 / 华东区".to_string(), 1),
                ("销售部 / 华北区".to_string(), 1),
                ("客服部".to_string(), 0),
            ]
        );
    }
}
