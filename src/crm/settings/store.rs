//! SQL for the company profile.

use super::CompanyProfile;
use rusqlite::{Connection, OptionalExtension, params};

/// The profile, if set up.
pub fn get(conn: &Connection) -> rusqlite::Result<Option<CompanyProfile>> {
    conn.query_row(
        "SELECT name, currency, time_zone, language, version FROM company_profile WHERE id = 1",
        [],
        |r| {
            Ok(CompanyProfile {
                name: r.get(0)?,
                currency: r.get(1)?,
                time_zone: r.get(2)?,
                language: r.get(3)?,
                version: r.get(4)?,
            })
        },
    )
    .optional()
}

/// Inserts or replaces the profile, bumping its version.
pub fn put(conn: &Connection, p: &CompanyProfile) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO company_profile (id, name, currency, time_zone, language, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency,
           time_zone = excluded.time_zone, language = excluded.language,
           updated_at = excluded.updated_at, version = version + 1",
        params![
            p.name,
            p.currency,
            p.time_zone,
            p.language,
            crate::db::now()
        ],
    )?;
    Ok(())
}
