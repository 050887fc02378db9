//! Tags (标签) such as 高活跃度 or 价格敏感型: created on the fly from a record's page, coloured,
//! usable as a list filter and in bulk on a selection. Adding and removing are audited on the
//! record they touch.

pub mod api;
pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::crm::records::Entity;
use crate::db::Tx;
use crate::error::AppError;

/// The colours a tag can have.
pub const COLORS: &[&str] = &[
    "gray", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink",
];

/// Every tag by name, remembered between changes (see `db::memo`).
pub async fn all(db: &crate::db::Db) -> Result<std::sync::Arc<Vec<store::Tag>>, AppError> {
    db.memo(("tags", ""), store::all).await
}

/// A tag name, trimmed; 1 to 40 characters, no commas.
pub fn parse_name(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 40 || s.contains(',') {
        Err("tag.error.name")
    } else {
        Ok(s.to_string())
    }
}

/// The colour a new tag gets when none is chosen: stable per name.
pub fn default_color(name: &str) -> &'static str {
    let sum: u32 = name.chars().map(|c| c as u32).sum();
    COLORS[1 + (sum as usize % (COLORS.len() - 1))]
}

/// The number tags and attachments know an entity's records by.
pub fn kind(e: &Entity) -> i64 {
    e.code
}

/// Tags records with `name`, creating the tag if needed; returns how many were newly tagged.
pub fn tag(
    tx: &mut Tx<'_>,
    e: &Entity,
    ids: &[i64],
    name: &str,
    color: Option<&str>,
) -> Result<usize, AppError> {
    let tag_id = match store::find(tx.conn(), name)? {
        Some(t) => t.id,
        None => create(tx, name, color)?,
    };
    let mut added = 0;
    for id in ids {
        if store::attach(tx.conn(), tag_id, kind(e), *id)? {
            added += 1;
            tx.audit(
                Event::new(&format!("{}.tag", e.kind))
                    .entity(e.kind, id)
                    .change("tag", None::<String>, name),
            )?;
        }
    }
    Ok(added)
}

/// Creates a tag named `name` (already checked with [`parse_name`]) in `color`, or in its
/// [`default_color`] when none or an unknown one is given; audited.
pub fn create(tx: &mut Tx<'_>, name: &str, color: Option<&str>) -> Result<i64, AppError> {
    let color = color
        .filter(|c| COLORS.contains(c))
        .unwrap_or_else(|| default_color(name));
    let id = store::create(tx.conn(), name, color)?;
    tx.audit(
        Event::new("tag.create")
            .entity("tag", id)
            .change("name", None::<String>, name)
            .change("color", None::<String>, color),
    )?;
    Ok(id)
}

/// Removes a tag from records.
pub fn untag(tx: &mut Tx<'_>, e: &Entity, ids: &[i64], tag_id: i64) -> Result<usize, AppError> {
    let tag = store::get(tx.conn(), tag_id)?;
    let mut removed = 0;
    for id in ids {
        if store::detach(tx.conn(), tag_id, kind(e), *id)? {
            removed += 1;
            tx.audit(
                Event::new(&format!("{}.untag", e.kind))
                    .entity(e.kind, id)
                    .change("tag", tag.name.as_str(), None::<String>),
            )?;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  高活跃度 "), Ok("高活跃度".to_string()));
        assert!(parse_name(" ").is_err());
        assert!(parse_name("a,b").is_err());
        assert!(parse_name(&"长".repeat(41)).is_err());
        assert!(COLORS.contains(&default_color("价格敏感型")));
        assert_ne!(default_color("x"), "gray");
    }
}
