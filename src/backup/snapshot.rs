//! A verified copy of the live database: copied, then checked as a database of its own.

use super::store;
use crate::audit::{self, Verdict};
use crate::db;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The audit chain as found in a copy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditHead {
    /// Entries in the chain.
    pub entries: i64,
    /// Hash of the newest entry.
    pub head: String,
    /// Whether the chain verified.
    pub intact: bool,
}

/// What a checked copy holds.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Schema version of the copy.
    pub schema_version: u32,
    /// Rows per table.
    pub row_counts: BTreeMap<String, i64>,
    /// The audit chain.
    pub audit: AuditHead,
}

/// Why a copy is not a good database.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// SQLite could not read it.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The integrity check found problems.
    #[error("the copy failed the integrity check: {0}")]
    Corrupt(String),
}

/// Copies the live database at `source` to `dest` (a new file).
pub fn take(source: &Path, dest: &Path) -> Result<(), SnapshotError> {
    store::copy_database(source, dest)?;
    Ok(())
}

/// Runs the integrity and foreign key checks on a copy, and reads its schema version,
/// row counts and audit chain head.
pub fn inspect(copy: &Path) -> Result<Inspection, SnapshotError> {
    let conn = store::open_read_only(copy)?;
    let problems = db::integrity_problems(&conn)?;
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(3).map(String::as_str).collect();
        return Err(SnapshotError::Corrupt(shown.join("; ")));
    }
    let audit = match audit::verify(&conn)? {
        Verdict::Intact { count, head } => AuditHead {
            entries: count,
            head,
            intact: true,
        },
        Verdict::Broken { entry_id, .. } => AuditHead {
            entries: entry_id,
            head: audit::store::head(&conn)?.map(|h| h.1).unwrap_or_default(),
            intact: false,
        },
    };
    Ok(Inspection {
        schema_version: db::schema_version(&conn)?,
        row_counts: store::row_counts(&conn)?,
        audit,
    })
}
