//! Schema versions: `schema.sql` is version 1; each later change is a numbered migration
//! applied in its own transaction. The version lives in `PRAGMA user_version`.

use rusqlite::Connection;

/// One schema change after version 1.
pub struct Migration {
    /// The version the database has after this migration.
    pub version: u32,
    /// What it does, for the log.
    pub description: &'static str,
    /// The SQL, run inside a transaction.
    pub sql: &'static str,
}

/// The v1 schema, readable as documentation at the top of the repository.
const SCHEMA_V1: &str = include_str!("../../schema.sql");

/// Migrations after v1, in order. Append only; never edit one that has shipped.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 2,
        description: "companies and contacts",
        sql: include_str!("migrations/0002_customers.sql"),
    },
    Migration {
        version: 3,
        description: "search index",
        sql: include_str!("migrations/0003_search.sql"),
    },
    Migration {
        version: 4,
        description: "follow-ups and tasks",
        sql: include_str!("migrations/0004_followups.sql"),
    },
    Migration {
        version: 5,
        description: "tags",
        sql: include_str!("migrations/0005_tags.sql"),
    },
    Migration {
        version: 6,
        description: "attachments",
        sql: include_str!("migrations/0006_attachments.sql"),
    },
    Migration {
        version: 7,
        description: "saved list views",
        sql: include_str!("migrations/0007_saved_views.sql"),
    },
    Migration {
        version: 8,
        description: "merged duplicates",
        sql: include_str!("migrations/0008_merges.sql"),
    },
    Migration {
        version: 9,
        description: "custom fields",
        sql: include_str!("migrations/0009_custom_fields.sql"),
    },
    Migration {
        version: 10,
        description: "required built-in fields",
        sql: include_str!("migrations/0010_required_fields.sql"),
    },
    Migration {
        version: 11,
        description: "industry taxonomy",
        sql: include_str!("migrations/0011_industries.sql"),
    },
    Migration {
        version: 12,
        description: "active users by name",
        sql: include_str!("migrations/0012_user_name_index.sql"),
    },
    Migration {
        version: 13,
        description: "departments",
        sql: include_str!("migrations/0013_departments.sql"),
    },
    Migration {
        version: 14,
        description: "owners' records by name",
        sql: include_str!("migrations/0014_owner_name_indexes.sql"),
    },
    Migration {
        version: 15,
        description: "owners' records by status",
        sql: include_str!("migrations/0015_owner_status_indexes.sql"),
    },
    Migration {
        version: 16,
        description: "custom roles and record sharing",
        sql: include_str!("migrations/0016_roles_and_shares.sql"),
    },
    Migration {
        version: 17,
        description: "pipelines, deals and notifications",
        sql: include_str!("migrations/0017_deals.sql"),
    },
    Migration {
        version: 18,
        description: "products and quotes",
        sql: include_str!("migrations/0018_quotes.sql"),
    },
    Migration {
        version: 19,
        description: "task reminders",
        sql: include_str!("migrations/0019_reminders.sql"),
    },
    Migration {
        version: 20,
        description: "leads, lead forms, assignment rules and pools",
        sql: include_str!("migrations/0020_leads.sql"),
    },
    Migration {
        version: 21,
        description: "pool watch: who pooled a record, quiet and claimed indexes",
        sql: include_str!("migrations/0021_pool_watch.sql"),
    },
    Migration {
        version: 22,
        description: "forecast totals",
        sql: include_str!("migrations/0022_forecast_totals.sql"),
    },
    Migration {
        version: 23,
        description: "board totals for all owners",
        sql: include_str!("migrations/0023_board_totals.sql"),
    },
    Migration {
        version: 24,
        description: "API tokens and webhooks",
        sql: include_str!("migrations/0024_api.sql"),
    },
    Migration {
        version: 25,
        description: "imports",
        sql: include_str!("migrations/0025_imports.sql"),
    },
    Migration {
        version: 26,
        description: "imports undone in batches",
        sql: include_str!("migrations/0026_import_undo.sql"),
    },
    Migration {
        version: 27,
        description: "deals' stage index holds the owner",
        sql: include_str!("migrations/0027_deal_stage_owner.sql"),
    },
    Migration {
        version: 28,
        description: "records keep their owner's department",
        sql: include_str!("migrations/0028_owner_department.sql"),
    },
    Migration {
        version: 29,
        description: "departments' records by status",
        sql: include_str!("migrations/0029_department_status.sql"),
    },
    Migration {
        version: 30,
        description: "name indexes hold the owner's department",
        sql: include_str!("migrations/0030_names_hold_department.sql"),
    },
    Migration {
        version: 31,
        description: "search entries carry their owner",
        sql: include_str!("migrations/0031_search_owners.sql"),
    },
    Migration {
        version: 32,
        description: "import files apart from their imports; contacts by owner and creation",
        sql: include_str!("migrations/0032_import_files_owner_created.sql"),
    },
];

/// Every migration after v1, in order (tests build older databases from a prefix).
pub fn migrations() -> &'static [Migration] {
    MIGRATIONS
}

/// The schema version this build of Kith writes.
pub const LATEST_VERSION: u32 = 1 + MIGRATIONS.len() as u32;

/// Why the database could not be brought to the current schema.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The file was written by a newer Kith.
    #[error(
        "the database has schema version {found}, newer than this Kith supports ({supported}); \
         run the newer Kith or restore a backup taken with this version"
    )]
    Newer {
        /// Version in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// A migration failed; the database stays at the version before it.
    #[error("migration to schema version {version} failed: {source}")]
    Failed {
        /// The version that could not be reached.
        version: u32,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database could not be read.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The schema version stored in the database (0 for an empty file).
pub fn schema_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings the database to [`LATEST_VERSION`].
pub fn migrate(conn: &Connection) -> Result<u32, MigrateError> {
    migrate_with(conn, MIGRATIONS)
}

/// Brings the database to the last of `migrations` (tests pass their own list).
pub fn migrate_with(conn: &Connection, migrations: &[Migration]) -> Result<u32, MigrateError> {
    let latest = migrations.last().map_or(1, |m| m.version);
    let found = schema_version(conn)?;
    if found > latest {
        return Err(MigrateError::Newer {
            found,
            supported: latest,
        });
    }
    if found == 0 {
        apply(conn, 1, SCHEMA_V1)?;
        tracing::info!(schema.version = 1, "Created the database schema");
    }
    for m in migrations.iter().filter(|m| m.version > found.max(1)) {
        apply(conn, m.version, m.sql)?;
        tracing::info!(
            schema.version = m.version,
            "Migrated the database to schema version {}: {}",
            m.version,
            m.description
        );
    }
    Ok(latest)
}

/// Runs one migration in a transaction. Foreign keys are off meanwhile, so a migration may
/// rebuild a table (SQLite's documented way to change a column's constraints), and every
/// reference is checked before the commit instead.
fn apply(conn: &Connection, version: u32, sql: &str) -> Result<(), MigrateError> {
    let fk: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let run = || -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute_batch(sql)?;
        let broken: Option<String> = conn
            .prepare("PRAGMA foreign_key_check")?
            .query_map([], |r| r.get(0))?
            .next()
            .transpose()?;
        if let Some(table) = broken {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(787),
                Some(format!("a foreign key in {table} points nowhere")),
            ));
        }
        conn.pragma_update(None, "user_version", version)?;
        conn.execute_batch("COMMIT")
    };
    let result = run().map_err(|source| {
        let _ = conn.execute_batch("ROLLBACK");
        MigrateError::Failed { version, source }
    });
    conn.pragma_update(None, "foreign_keys", fk)?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_MIGRATIONS: &[Migration] = &[
        Migration {
            version: 2,
            description: "add a note column",
            sql: "ALTER TABLE users ADD COLUMN note TEXT",
        },
        Migration {
            version: 3,
            description: "broken on purpose",
            sql: "ALTER TABLE no_such_table ADD COLUMN x TEXT",
        },
    ];

    #[test]
    fn an_empty_database_gets_the_v1_schema() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&conn).unwrap(), LATEST_VERSION);
        assert_eq!(schema_version(&conn).unwrap(), LATEST_VERSION);
        conn.execute("SELECT count(*) FROM audit_log", []).ok();
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        assert_eq!(migrate(&conn).unwrap(), LATEST_VERSION);
    }

    #[test]
    fn a_newer_database_is_refused_with_both_versions_named() {
        let conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1)
            .unwrap();
        let err = migrate(&conn).unwrap_err().to_string();
        assert!(
            err.contains(&format!("version {}", LATEST_VERSION + 1)),
            "{err}"
        );
        assert!(err.contains("newer"), "{err}");
    }

    #[test]
    fn a_failing_migration_is_rolled_back_and_keeps_the_previous_version() {
        let conn = Connection::open_in_memory().unwrap();
        let err = migrate_with(&conn, TEST_MIGRATIONS).unwrap_err();
        assert!(matches!(err, MigrateError::Failed { version: 3, .. }));
        assert_eq!(schema_version(&conn).unwrap(), 2);
        // Migration 2 went in, and the database still works.
        conn.execute("UPDATE users SET note = 'x'", []).unwrap();
    }
}

#[cfg(test)]
mod v2_tests {
    use super::*;

    #[test]
    fn version_2_adds_companies_and_contacts_to_a_version_1_database() {
        let conn = Connection::open_in_memory().unwrap();
        migrate_with(&conn, &[]).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), 1);
        conn.execute(
            "INSERT INTO users (email, name, role, password_hash, created_at, updated_at)
             VALUES ('a@x.cn', 'A', 'admin', 'h', 't', 't')",
            [],
        )
        .unwrap();
        assert_eq!(migrate(&conn).unwrap(), LATEST_VERSION);
        conn.execute(
            "INSERT INTO companies (name, name_norm, owner_id, created_at, updated_at)
             VALUES ('华为', '华为', 1, 't', 't')",
            [],
        )
        .unwrap();
        let users: i64 = conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(users, 1, "existing rows survive the migration");
    }
}
