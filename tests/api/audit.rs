//! The audit log: the admin page (order, filters, pages, dates) and `kith audit verify`.

use crate::helpers::*;
use chrono::{Days, Utc};
use kith::audit::{Entry, Event};
use kith::db::{Actor, Db};
use reqwest::StatusCode;

/// Saves the company profile `n` times with a new name each time (one entry each).
async fn save_settings(app: &TestApp, n: usize) {
    let token = app.csrf(&app.client).await;
    for i in 0..n {
        let name = format!("华星科技 {i}");
        let fields = [
            ("name", name.as_str()),
            ("currency", "CNY"),
            ("time_zone", "Asia/Shanghai"),
            ("language", "zh-CN"),
        ];
        let r = app
            .post_form_with(&app.client, "/admin/settings", &fields, &token)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}

/// The ids an audit page lists, asserting it was served.
async fn listed(app: &TestApp, path: &str) -> (Vec<i64>, String) {
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    (audit_ids_on_page(&html), html)
}

/// The "Older" link of an audit page, if any.
fn older_link(html: &str) -> Option<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| unescape(&s[..s.find('"').unwrap()]))
        .find(|href| href.starts_with("/admin/audit?") && href.contains("before="))
}

#[tokio::test]
async fn the_audit_log_lists_entries_newest_first() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.login(&app.new_client(), ADMIN_EMAIL, "not the password!")
        .await;
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;

    let (ids, _) = listed(&app, "/admin/audit").await;

    assert_eq!(ids, app.audit_ids_where("1 = 1"));
    assert!(ids.len() >= 5, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
}

#[tokio::test]
async fn the_audit_log_filters_by_action() {
    let app = spawn_app().await;
    app.complete_setup().await;
    for _ in 0..3 {
        app.login(&app.new_client(), "nobody@huaxing.cn", "not the password!")
            .await;
    }

    let (ids, _) = listed(&app, "/admin/audit?action=login.failed").await;

    assert_eq!(ids.len(), 3);
    assert_eq!(ids, app.audit_ids_where("action = 'login.failed'"));
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_and_by_record() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let admin = app.user_id(ADMIN_EMAIL);
    let id = app
        .create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;
    app.post_form(
        &app.client,
        &format!("/admin/users/{id}/status"),
        &[("action", "disable")],
    )
    .await;

    let (by_admin, _) = listed(&app, &format!("/admin/audit?actor={admin}")).await;
    let (by_system, _) = listed(&app, "/admin/audit?actor=system").await;
    let (about_user, _) = listed(
        &app,
        &format!("/admin/audit?entity_type=user&entity_id={id}"),
    )
    .await;

    assert_eq!(
        by_admin,
        app.audit_ids_where(&format!("actor_id = {admin}"))
    );
    assert_eq!(by_admin.len(), 2, "user.create and user.disable");
    assert_eq!(by_system, app.audit_ids_where("actor_id IS NULL"));
    assert_eq!(by_system.len(), 3, "the setup entries");
    assert_eq!(
        about_user,
        app.audit_ids_where(&format!("entity_type = 'user' AND entity_id = '{id}'"))
    );
    assert_eq!(about_user.len(), 2);
}

#[tokio::test]
async fn the_audit_log_pages_backwards_with_a_keyset_cursor() {
    // Arrange: 3 setup entries and 55 settings changes
    let app = spawn_app().await;
    app.complete_setup().await;
    save_settings(&app, 55).await;
    let all = app.audit_ids_where("1 = 1");

    // Act
    let (first, html) = listed(&app, "/admin/audit").await;
    let next = older_link(&html).expect("an Older link");
    let (second, html) = listed(&app, &next).await;

    // Assert
    assert_eq!(all.len(), 58);
    assert_eq!(first, all[..50]);
    assert!(next.contains(&format!("before={}", first[49])), "{next}");
    assert_eq!(second, all[50..]);
    assert!(
        older_link(&html).is_none(),
        "the last page has no Older link"
    );
}

#[tokio::test]
async fn a_filter_is_kept_when_paging() {
    let app = spawn_app().await;
    app.complete_setup().await;
    save_settings(&app, 55).await;
    let updates = app.audit_ids_where("action = 'settings.update'");

    let (first, html) = listed(&app, "/admin/audit?action=settings.update").await;
    let next = older_link(&html).expect("an Older link");
    let (second, _) = listed(&app, &next).await;

    assert!(next.contains("action=settings.update"), "{next}");
    assert_eq!(first, updates[..50]);
    assert_eq!(second, updates[50..]);
    assert_eq!(second.len(), 5);
}

#[tokio::test]
async fn the_audit_log_filters_by_date_range() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap();

    let (on_today, _) = listed(&app, &format!("/admin/audit?from={today}&to={today}")).await;
    let (until_yesterday, html) = listed(&app, &format!("/admin/audit?to={yesterday}")).await;
    let (from_tomorrow, _) = listed(&app, &format!("/admin/audit?from={tomorrow}")).await;

    assert_eq!(on_today, app.audit_ids_where("1 = 1"));
    assert!(until_yesterday.is_empty(), "{until_yesterday:?}");
    assert!(html.contains(&text("audit.empty")));
    assert!(from_tomorrow.is_empty(), "{from_tomorrow:?}");
}

#[tokio::test]
async fn dates_are_days_in_the_company_time_zone() {
    // Arrange: an entry at 01:30 on 2 March in Shanghai, which is still 1 March in UTC
    let app = spawn_app().await;
    app.complete_setup().await;
    app.db()
        .execute(
            "UPDATE audit_log SET at = '2026-03-01T17:30:00.000Z' WHERE action = 'setup.complete'",
            [],
        )
        .unwrap();
    let moved = app.audit_ids_where("action = 'setup.complete'");

    // Act
    let (second, _) = listed(&app, "/admin/audit?from=2026-03-02&to=2026-03-02").await;
    let (first, _) = listed(&app, "/admin/audit?from=2026-03-01&to=2026-03-01").await;

    // Assert
    assert_eq!(second, moved);
    assert!(first.is_empty(), "{first:?}");
}

#[tokio::test]
async fn what_a_stranger_typed_is_shown_as_text_not_markup() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.login(
        &app.new_client(),
        "<script>alert(1)</script>@x.cn",
        "not the password!",
    )
    .await;

    let (_, html) = listed(&app, "/admin/audit?action=login.failed").await;

    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
}

#[tokio::test]
async fn every_audit_entry_records_who_from_where_and_which_request() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.login(&app.new_client(), ADMIN_EMAIL, "not the password!")
        .await;
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;

    let incomplete = app.query_i64(
        "SELECT count(*) FROM audit_log
         WHERE ip IS NULL OR request_id IS NULL OR request_id = '' OR actor = ''",
    );

    assert!(app.query_i64("SELECT count(*) FROM audit_log") >= 5);
    assert_eq!(incomplete, 0);
}

#[tokio::test]
async fn an_audit_entry_carries_the_request_id_of_the_request_that_made_it() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let r = app
        .post_form(
            &app.client,
            "/admin/users/new",
            &[
                ("email", "zhou@huaxing.cn"),
                ("name", "周杰"),
                ("role", "sales"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_string(
            "SELECT request_id FROM audit_log WHERE action = 'user.create' AND actor_id IS NOT NULL"
        ),
        request_id
    );
}

// --- `kith audit verify` --------------------------------------------------------------------

/// A data folder whose audit log holds `n` entries written through the real write path.
fn data_with_chain(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("kith.db"), 1).unwrap();
    for i in 0..n {
        db.write_blocking(Actor::cli(), |tx| {
            tx.audit(Event::new("user.update").entity("user", i).change(
                "name",
                "张三",
                format!("李四 {i}"),
            ))
        })
        .unwrap();
    }
    dir
}

fn tamper(dir: &tempfile::TempDir, sql: &str) {
    rusqlite::Connection::open(dir.path().join("kith.db"))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

#[tokio::test]
async fn audit_verify_proves_the_chain_the_server_wrote() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.login(&app.new_client(), ADMIN_EMAIL, "not the password!")
        .await;
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;
    let count = app.query_i64("SELECT count(*) FROM audit_log");
    let head = app.query_string("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1");

    let o = kith(app.dir.path(), &["audit", "verify"], None).await;

    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("OK:"), "{out}");
    assert!(out.contains(&format!("{count} entries")), "{out}");
    assert!(out.contains(&head), "{out}");
}

#[tokio::test]
async fn audit_verify_names_an_altered_entry() {
    let dir = data_with_chain(6);
    tamper(&dir, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3");

    let o = kith(dir.path(), &["audit", "verify"], None).await;

    let line = one_line_error(&o);
    assert!(line.contains("#3") && line.contains("altered"), "{line}");
}

#[tokio::test]
async fn audit_verify_names_a_removed_entry() {
    let dir = data_with_chain(6);
    tamper(&dir, "DELETE FROM audit_log WHERE id = 3");

    let o = kith(dir.path(), &["audit", "verify"], None).await;

    let line = one_line_error(&o);
    assert!(line.contains("#3") && line.contains("removed"), "{line}");
}

#[tokio::test]
async fn audit_verify_notices_the_newest_entry_removed() {
    let dir = data_with_chain(6);
    tamper(&dir, "DELETE FROM audit_log WHERE id = 6");

    let o = kith(dir.path(), &["audit", "verify"], None).await;

    let line = one_line_error(&o);
    assert!(line.contains("#6") && line.contains("removed"), "{line}");
}

#[tokio::test]
async fn audit_verify_names_an_inserted_entry_even_with_a_correct_hash() {
    // Arrange: a forged entry at the end, chained and hashed exactly like a real one
    let dir = data_with_chain(6);
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    let (at, prev_hash): (String, String) = conn
        .query_row("SELECT at, hash FROM audit_log WHERE id = 6", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let mut forged = Entry {
        id: 7,
        at,
        actor_id: None,
        actor: "cli".into(),
        ip: None,
        request_id: None,
        action: "user.disable".into(),
        entity_type: Some("user".into()),
        entity_id: Some("1".into()),
        changes: "[]".into(),
        prev_hash,
        hash: String::new(),
    };
    forged.hash = forged.compute_hash();
    conn.execute(
        "INSERT INTO audit_log (id, at, actor, action, entity_type, entity_id, changes,
                                prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rusqlite::params![
            forged.id,
            forged.at,
            forged.actor,
            forged.action,
            forged.entity_type,
            forged.entity_id,
            forged.changes,
            forged.prev_hash,
            forged.hash
        ],
    )
    .unwrap();
    drop(conn);

    // Act
    let o = kith(dir.path(), &["audit", "verify"], None).await;

    // Assert
    let line = one_line_error(&o);
    assert!(line.contains("#7") && line.contains("inserted"), "{line}");
}

#[tokio::test]
async fn audit_verify_accepts_an_untouched_chain_with_its_count() {
    let dir = data_with_chain(6);

    let o = kith(dir.path(), &["audit", "verify"], None).await;

    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("OK: 6 entries"), "{}", stdout(&o));
}
