use super::*;
use rusqlite::Connection;

const OLD: &str = "2026-01-01T00:00:00.000Z";
const CUTOFF: &str = "2026-03-01T00:00:00.000Z";
const RECENT: &str = "2026-03-05T00:00:00.000Z";

fn db() -> Connection {
    let conn = crate::db::memory().unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (1, 'a@x.cn', '张伟', 'sales', 'x', 't', 't'), (2, 'b@x.cn', '李娜', 'sales', 'x', 't', 't');
         INSERT INTO pools (id, name, entity, days, claim_limit, created_at, updated_at)
         VALUES (1, '线索公海', 'leads', 30, 5, 't', 't'), (2, '客户公海', 'companies', 30, 5, 't', 't');",
    )
    .unwrap();
    conn
}

fn lead(
    conn: &Connection,
    name: &str,
    created: &str,
    claimed: Option<&str>,
    last: Option<&str>,
) -> i64 {
    conn.execute(
        "INSERT INTO leads (name, owner_id, claimed_at, last_activity_at, created_at, updated_at)
         VALUES (?1, 1, ?2, ?3, ?4, ?4)",
        params![name, claimed, last, created],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn company(conn: &Connection, name: &str, created: &str, claimed: Option<&str>) -> i64 {
    conn.execute(
        "INSERT INTO companies (name, name_norm, owner_id, claimed_at, created_at, updated_at)
         VALUES (?1, ?1, 1, ?2, ?3, ?3)",
        params![name, claimed, created],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn follow_up(conn: &Connection, company: i64, at: &str) {
    conn.execute(
        "INSERT INTO activities (company_id, kind, body, occurred_at, created_at)
         VALUES (?1, 'call', 'x', ?2, ?2)",
        params![company, at],
    )
    .unwrap();
}

fn names(found: Vec<Quiet>) -> Vec<String> {
    let mut n: Vec<String> = found.into_iter().map(|q| q.name).collect();
    n.sort();
    n
}

fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_record_is_quiet_when_neither_follow_up_claim_nor_creation_is_recent() {
    // Arrange
    let conn = db();
    lead(&conn, "quiet", OLD, None, None);
    lead(&conn, "followed up", OLD, None, Some(RECENT));
    lead(&conn, "claimed lately", OLD, Some(RECENT), Some(OLD));
    lead(&conn, "new", RECENT, None, None);
    conn.execute(
        "INSERT INTO leads (name, status, owner_id, created_at, updated_at)
         VALUES ('converted', 'converted', 1, ?1, ?1)",
        [OLD],
    )
    .unwrap();
    let old = company(&conn, "安静公司", OLD, None);
    follow_up(&conn, old, OLD);
    let busy = company(&conn, "活跃公司", OLD, None);
    follow_up(&conn, busy, RECENT);
    company(&conn, "刚领取", OLD, Some(RECENT));

    // Act
    let leads = quiet(&conn, PoolEntity::Leads, &[1, 2], CUTOFF, 10).unwrap();
    let companies = quiet(&conn, PoolEntity::Companies, &[1], CUTOFF, 10).unwrap();
    let nobody = quiet(&conn, PoolEntity::Leads, &[2], CUTOFF, 10).unwrap();

    // Assert
    assert_eq!(names(leads), ["quiet"]);
    assert_eq!(names(companies), ["安静公司"]);
    assert!(nobody.is_empty());
}

#[test]
fn reclaiming_rechecks_that_the_record_is_still_quiet_and_still_its_owners() {
    let conn = db();
    let id = company(&conn, "安静公司", OLD, None);
    let found = quiet(&conn, PoolEntity::Companies, &[1], CUTOFF, 10).unwrap();
    // A follow-up is logged before the job gets to move it.
    follow_up(&conn, id, RECENT);
    assert_eq!(
        reclaim(&conn, PoolEntity::Companies, &found[0], 2, CUTOFF, RECENT).unwrap(),
        0
    );
    conn.execute("DELETE FROM activities", []).unwrap();
    assert_eq!(
        reclaim(&conn, PoolEntity::Companies, &found[0], 2, CUTOFF, RECENT).unwrap(),
        1
    );
    let (owner, pool, from): (Option<i64>, Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT owner_id, pool_id, pooled_from FROM companies WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((owner, pool, from), (None, Some(2), Some(1)));
}

#[test]
fn the_claim_limit_counts_claimed_records_not_followed_up_since() {
    let conn = db();
    lead(&conn, "claimed, untouched", OLD, Some(CUTOFF), None);
    lead(
        &conn,
        "claimed, touched before",
        OLD,
        Some(CUTOFF),
        Some(OLD),
    );
    lead(
        &conn,
        "claimed, followed up",
        OLD,
        Some(CUTOFF),
        Some(RECENT),
    );
    lead(&conn, "never pooled", OLD, None, None);
    let c = company(&conn, "领取的", OLD, Some(CUTOFF));
    company(&conn, "领取未跟进", OLD, Some(CUTOFF));
    follow_up(&conn, c, RECENT);
    assert_eq!(held(&conn, PoolEntity::Leads, 1).unwrap(), 2);
    assert_eq!(held(&conn, PoolEntity::Companies, 1).unwrap(), 1);
    let list = held_list(&conn, PoolEntity::Companies, 1, 10).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].1, "领取未跟进");
}

#[test]
fn a_taken_record_cannot_be_taken_again() {
    let conn = db();
    conn.execute(
        "INSERT INTO leads (id, name, pool_id, pooled_at, created_at, updated_at)
         VALUES (9, '王磊', 1, ?1, ?1, ?1)",
        [OLD],
    )
    .unwrap();
    assert_eq!(
        take(&conn, PoolEntity::Leads, 9, 1, 1, RECENT)
            .unwrap()
            .as_deref(),
        Some("王磊")
    );
    assert_eq!(
        take(&conn, PoolEntity::Leads, 9, 1, 2, RECENT).unwrap(),
        None
    );
    assert_eq!(held(&conn, PoolEntity::Leads, 1).unwrap(), 1);
}

#[test]
fn the_hot_pool_queries_use_their_indexes() {
    let conn = db();
    let quiet_leads = plan(
        &conn,
        &format!(
            "SELECT r.id FROM leads r WHERE r.owner_id IN (SELECT value FROM json_each('[1,2]')) AND {}",
            quiet_since(PoolEntity::Leads).replace("?2", "'x'")
        ),
    );
    assert!(
        quiet_leads.contains("USING INDEX leads_quiet"),
        "{quiet_leads}"
    );
    let quiet_companies = plan(
        &conn,
        &format!(
            "SELECT r.id FROM companies r WHERE r.owner_id = 1 AND {}",
            quiet_since(PoolEntity::Companies).replace("?2", "'x'")
        ),
    );
    assert!(
        quiet_companies.contains("activities_by_company"),
        "{quiet_companies}"
    );
    assert!(!quiet_companies.contains("SCAN a"), "{quiet_companies}");
    for e in PoolEntity::ALL {
        let t = e.table();
        let held = plan(
            &conn,
            &format!(
                "SELECT count(*) FROM {t} r WHERE r.owner_id = 1 AND r.claimed_at IS NOT NULL
                   AND r.deleted_at IS NULL AND {}",
                unworked(e)
            ),
        );
        assert!(held.contains(&format!("USING INDEX {t}_claimed")), "{held}");
        let page = plan(
            &conn,
            &format!(
                "SELECT r.id FROM {t} r WHERE r.pool_id = 1 AND r.deleted_at IS NULL AND r.owner_id IS NULL
                   AND ('a' IS NULL OR (r.pooled_at, r.id) < ('a', 1))
                 ORDER BY r.pooled_at DESC, r.id DESC LIMIT 51"
            ),
        );
        assert!(page.contains(&format!("USING INDEX {t}_pool")), "{page}");
        assert!(!page.contains("TEMP B-TREE"), "{page}");
    }
}
