//! Backups and restores: round trips, concurrent writers, damage, newer schemas,
//! retention, disk margin, locks, encryption, interrupted runs and the admin page.

use crate::helpers::*;
use chrono::{TimeZone, Utc};
use kith::backup::{BackupError, Backups, Kind};
use kith::config::Config;
use reqwest::StatusCode;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A checksum of every ordinary table's rows, in a stable order.
fn table_checksums(db: &Path) -> BTreeMap<String, String> {
    let conn = Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut sums = BTreeMap::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let cols = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut line = String::new();
                for i in 0..cols {
                    line.push_str(&format!("{:?}|", r.get_ref(i)?));
                }
                Ok(line)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        let mut h = Sha256::new();
        for row in &rows {
            h.update(row.as_bytes());
        }
        sums.insert(t, format!("{}:{}", rows.len(), hex::encode(h.finalize())));
    }
    sums
}

fn config_for(dir: &Path) -> Config {
    let mut c = Config::default();
    c.data.dir = dir.to_path_buf();
    c.backup.min_free_megabytes = 1;
    c
}

fn backups_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("backups"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "kithbackup"));
    files.sort();
    files
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join(format!("kith-{:x}.toml", rand::random::<u32>()));
    std::fs::write(&path, format!("[backup]\nmin_free_megabytes = 1\n{body}")).unwrap();
    path
}

async fn kith_with(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = kith_cmd(dir);
    cmd.arg("--config").arg(config).args(args);
    run(cmd, None).await
}

/// Takes a backup with the CLI and returns the newest file.
async fn take_backup(data: &Path, config: &Path) -> PathBuf {
    let out = kith_with(data, config, &["backup", "run"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    backups_in(data).pop().unwrap()
}

/// Runs a CLI command with a config file and asserts it succeeded.
async fn succeeds(data: &Path, config: &Path, args: &[&str]) -> String {
    let out = kith_with(data, config, args).await;
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

async fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = kith(dir.path(), &["seed", "--demo"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[tokio::test]
async fn a_restore_brings_back_exactly_what_was_backed_up() {
    let dir = seeded().await;
    let data = dir.path();
    let cfg = write_config(data, "");
    let out = kith_with(data, &cfg, &["backup", "run"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("verified"), "{}", stdout(&out));
    let file = backups_in(data).pop().unwrap();
    // The audit entry about the backup itself came after the copy.
    let mut before = table_checksums(&data.join("kith.db"));

    // Change things after the backup: a new user, a removed contact.
    let out = kith(
        data,
        &[
            "user",
            "add",
            "--email",
            "late@huaxing.cn",
            "--name",
            "Late",
            "--role",
            "sales",
            "--password-stdin",
        ],
        Some("a long enough passphrase 2026\n"),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    Connection::open(data.join("kith.db"))
        .unwrap()
        .execute("DELETE FROM tags", [])
        .unwrap();

    let out = kith_with(data, &cfg, &["restore", "--yes", file.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("kept in"), "{}", stdout(&out));
    let mut after = table_checksums(&data.join("kith.db"));

    // Every table is identical except the audit log, which gained the backup's own entry
    // (before) and the restore's entry (after), continuing the backup's chain.
    for t in ["audit_log", "audit_head"] {
        before.remove(t);
        after.remove(t);
    }
    assert_eq!(before, after);
    let out = kith(data, &["audit", "verify"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let conn = Connection::open(data.join("kith.db")).unwrap();
    let last: String = conn
        .query_row(
            "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(last, "backup.restored");
    let late: i64 = conn
        .query_row(
            "SELECT count(*) FROM users WHERE email = 'late@huaxing.cn'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(late, 0, "the user added after the backup is gone");
    // The replaced data was kept aside.
    let kept = std::fs::read_dir(data.join("backups/before-restore"))
        .unwrap()
        .count();
    assert_eq!(kept, 1);
    // No stray files next to the database.
    let leftovers: Vec<String> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restore") || n.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_backup_taken_while_a_writer_keeps_inserting_is_consistent_and_no_write_fails() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path().to_path_buf();
    let out = kith(&dir, &["seed", "--scale", "20000"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));

    let db = app.state.db.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut ok, mut failed) = (0, 0);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = db.write_blocking(kith::db::Actor::cli(), |tx| {
                    tx.audit(kith::audit::Event::new("test.tick"))
                });
                if r.is_ok() { ok += 1 } else { failed += 1 }
            }
            (ok, failed)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let outcome = Backups::new(&config_for(&dir))
        .run(Kind::Manual, Utc::now(), chrono_tz::Tz::UTC)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = writer.join().unwrap();
    assert_eq!(failed, 0);
    assert!(ok > 10, "the writer kept writing ({ok})");
    // The backup holds one consistent state: its audit chain verifies and is a prefix of
    // the live one.
    let m = &outcome.manifest;
    assert!(m.audit.intact);
    assert_eq!(m.row_counts["contacts"], 20000);
    let live_entries = app.query_i64("SELECT count(*) FROM audit_log");
    assert!(m.audit.entries < live_entries);
    let hash_then = app.query_string(&format!(
        "SELECT hash FROM audit_log WHERE id = {}",
        m.audit.entries
    ));
    assert_eq!(hash_then, m.audit.head);
    Backups::new(&config_for(&dir))
        .verify(&outcome.path)
        .unwrap();
}

#[tokio::test]
async fn a_damaged_backup_is_refused_by_verify_and_by_restore() {
    let dir = seeded().await;
    let data = dir.path();
    let cfg = write_config(data, "");
    let file = take_backup(data, &cfg).await;
    succeeds(data, &cfg, &["backup", "verify", file.to_str().unwrap()]).await;

    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&file, &bytes).unwrap();
    let before = table_checksums(&data.join("kith.db"));
    let out = kith_with(data, &cfg, &["backup", "verify", file.to_str().unwrap()]).await;
    let err = one_line_error(&out);
    assert!(err.contains("checksum mismatch"), "{err}");
    let out = kith_with(data, &cfg, &["restore", "--yes", file.to_str().unwrap()]).await;
    let err = one_line_error(&out);
    assert!(err.contains("damaged"), "{err}");
    assert_eq!(
        before,
        table_checksums(&data.join("kith.db")),
        "nothing changed"
    );

    // A file cut short is refused too.
    std::fs::write(&file, &bytes[..bytes.len() - 100]).unwrap();
    let out = kith_with(data, &cfg, &["backup", "verify", file.to_str().unwrap()]).await;
    let err = one_line_error(&out);
    assert!(err.contains("cut short"), "{err}");
}

#[tokio::test]
async fn a_backup_from_a_newer_schema_is_refused() {
    let dir = seeded().await;
    let data = dir.path();
    // Pretend a newer Kith wrote the database, then back it up.
    Connection::open(data.join("kith.db"))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let outcome = Backups::new(&config_for(data))
        .run(Kind::Manual, Utc::now(), chrono_tz::Tz::UTC)
        .unwrap();
    assert_eq!(outcome.manifest.schema_version, 99);
    // Never two backups at once: while one holds the lock, another is refused.
    let held = kith::backup::lock::try_lock(&data.join("backups/.backup.lock"), "test").unwrap();
    let busy = Backups::new(&config_for(data)).run(Kind::Manual, Utc::now(), chrono_tz::Tz::UTC);
    assert!(matches!(busy, Err(BackupError::Busy(_))), "{busy:?}");
    drop(held);
    let err = Backups::new(&config_for(data))
        .verify(&outcome.path)
        .unwrap_err();
    assert!(
        matches!(err, BackupError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    Connection::open(data.join("kith.db"))
        .unwrap()
        .pragma_update(None, "user_version", kith::db::LATEST_VERSION)
        .unwrap();
    let cfg = write_config(data, "");
    let out = kith_with(
        data,
        &cfg,
        &["restore", "--yes", outcome.path.to_str().unwrap()],
    )
    .await;
    let err = one_line_error(&out);
    assert!(err.contains("newer than this Kith supports"), "{err}");
}

#[tokio::test]
async fn retention_keeps_exactly_the_expected_backups_over_simulated_days() {
    let dir = seeded().await;
    let data = dir.path();
    let mut config = config_for(data);
    config.backup.keep_last = 2;
    config.backup.keep_daily = 4;
    config.backup.keep_weekly = 2;
    config.backup.keep_monthly = 0;
    let backups = Backups::new(&config);
    // Two backups a day (02:00 and 14:00 UTC) for 21 days from Monday 2026-03-02.
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap();
    for half_days in 0..42 {
        let now = start + chrono::Duration::hours(12 * half_days);
        backups
            .run(Kind::Scheduled, now, chrono_tz::Tz::UTC)
            .unwrap();
    }
    let names: Vec<String> = backups_in(data)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            // Newest of the previous ISO week (Mon 03-09 .. Sun 03-15).
            "kith-20260315T140000Z.kithbackup",
            // Newest of each of the last 4 days; the newest 2 overall (both on 03-22).
            "kith-20260319T140000Z.kithbackup",
            "kith-20260320T140000Z.kithbackup",
            "kith-20260321T140000Z.kithbackup",
            "kith-20260322T020000Z.kithbackup",
            "kith-20260322T140000Z.kithbackup",
        ]
    );
}

#[tokio::test]
async fn a_backup_is_refused_when_the_disk_margin_would_be_crossed() {
    let app = spawn_app_with(|c| c.backup.min_free_megabytes = 1 << 40).await;
    app.complete_setup().await;
    let cfg = app.dir.path().join("kith.toml");
    std::fs::write(&cfg, "[backup]\nmin_free_megabytes = 1099511627776\n").unwrap();
    let out = kith_with(app.dir.path(), &cfg, &["backup", "run"]).await;
    let err = one_line_error(&out);
    assert!(err.contains("not enough free disk space"), "{err}");
    assert!(backups_in(app.dir.path()).is_empty());
    assert!(app.audit_actions().contains(&"backup.failed".to_string()));

    // The failure is loud: the admin banner on every page and on /healthz.
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("The last backup failed"), "{html}");
    let health: serde_json::Value = app.get("/healthz").await.json().await.unwrap();
    let reason = health["checks"]["backup"]["last_failure"]["detail"]
        .as_str()
        .unwrap();
    assert!(reason.contains("not enough free disk space"), "{health}");
}

#[tokio::test]
async fn restore_is_refused_while_the_server_runs() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let data = app.dir.path();
    let cfg = write_config(data, "");
    let file = take_backup(data, &cfg).await;
    let out = kith_with(data, &cfg, &["restore", "--yes", file.to_str().unwrap()]).await;
    let err = one_line_error(&out);
    assert!(err.contains("in use by kith serve"), "{err}");
    assert!(err.contains("--stop-server"), "{err}");
    // A second server on the same data folder is refused as well.
    let mut config = app.state.config.clone();
    config.server.listen = "127.0.0.1:0".into();
    let second = kith::server::AppState::new(config);
    assert!(second.is_err());
}

#[tokio::test]
async fn restore_can_stop_a_running_server_first() {
    let dir = seeded().await;
    let data = dir.path();
    let cfg = write_config(data, "schedule = \"\"\n");
    let file = take_backup(data, &cfg).await;
    let mut server = kith_cmd(data);
    server
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = server.spawn().unwrap();
    // Wait for it to hold the data folder.
    for _ in 0..100 {
        if kith::backup::lock::is_held(&data.join("kith.lock")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(kith::backup::lock::is_held(&data.join("kith.lock")));
    let out = kith_with(
        data,
        &cfg,
        &["restore", "--yes", "--stop-server", file.to_str().unwrap()],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    // The server was asked to stop and has exited; the restore then ran.
    assert!(child.try_wait().unwrap().is_some(), "the server has exited");
    assert!(stdout(&out).contains("Restored"), "{}", stdout(&out));
}

#[tokio::test]
async fn encrypted_backups_round_trip_and_a_wrong_key_fails_cleanly() {
    let dir = seeded().await;
    let data = dir.path();
    // Passphrase.
    std::fs::write(data.join("pass.txt"), "稻花香里说丰年 2026\n").unwrap();
    std::fs::write(data.join("wrong.txt"), "not the passphrase\n").unwrap();
    let good = write_config(
        data,
        &format!("passphrase_file = {:?}\n", data.join("pass.txt")),
    );
    let file = take_backup(data, &good).await;
    let raw = std::fs::read(&file).unwrap();
    assert!(
        !raw.windows(15).any(|w| w == b"SQLite format 3"),
        "not in the clear"
    );
    succeeds(data, &good, &["backup", "verify", file.to_str().unwrap()]).await;
    let bad = data.join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "[backup]\nmin_free_megabytes = 1\npassphrase_file = {:?}\n",
            data.join("wrong.txt")
        ),
    )
    .unwrap();
    let err =
        one_line_error(&kith_with(data, &bad, &["backup", "verify", file.to_str().unwrap()]).await);
    assert!(err.contains("does not open this backup"), "{err}");
    let plain = write_config(data, "");
    let err = one_line_error(
        &kith_with(data, &plain, &["restore", "--yes", file.to_str().unwrap()]).await,
    );
    assert!(err.contains("passphrase_file"), "{err}");
    let out = kith_with(data, &good, &["restore", "--yes", file.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    // Key file.
    for name in ["key.txt", "other.txt"] {
        let out = kith(
            data,
            &["backup", "keygen", data.join(name).to_str().unwrap()],
            None,
        )
        .await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let keyed = write_config(data, &format!("key_file = {:?}\n", data.join("key.txt")));
    let file = take_backup(data, &keyed).await;
    succeeds(data, &keyed, &["backup", "verify", file.to_str().unwrap()]).await;
    let other = write_config(data, &format!("key_file = {:?}\n", data.join("other.txt")));
    let err = one_line_error(
        &kith_with(data, &other, &["backup", "verify", file.to_str().unwrap()]).await,
    );
    assert!(err.contains("does not open this backup"), "{err}");
}

#[tokio::test]
async fn a_backup_killed_halfway_is_cleaned_up_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = kith(data, &["seed", "--scale", "20000"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let cfg = write_config(data, "");
    let mut cmd = kith_cmd(data);
    cmd.arg("--config").arg(&cfg).args(["backup", "run"]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(60));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Whatever it left (and a leftover of an earlier crash) is never taken for a backup.
    std::fs::create_dir_all(data.join("backups")).unwrap();
    std::fs::write(
        data.join("backups/.kith-20260101T000000Z.kithbackup.partial"),
        b"half",
    )
    .unwrap();
    let out = kith_with(data, &cfg, &["backup", "list"]).await;
    assert!(!stdout(&out).contains(".partial"), "{}", stdout(&out));
    let out = kith_with(data, &cfg, &["backup", "run"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(data.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
    for file in backups_in(data) {
        succeeds(data, &cfg, &["backup", "verify", file.to_str().unwrap()]).await;
    }
}

#[tokio::test]
async fn an_upgrade_takes_a_snapshot_first_and_an_older_backup_is_migrated_on_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // A database written by the previous version: every migration but the last.
    {
        let conn = Connection::open(data.join("kith.db")).unwrap();
        let all = kith::db::migrations();
        kith::db::migrate_with(&conn, &all[..all.len() - 1]).unwrap();
        conn.execute(
            "INSERT INTO company_profile (id, name, updated_at) VALUES (1, '华星', 'now')",
            [],
        )
        .unwrap();
    }
    let out = kith(data, &["db", "migrate"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let snapshots: Vec<PathBuf> = std::fs::read_dir(data.join("backups/pre-upgrade"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(snapshots.len(), 1);
    let cfg = write_config(data, "");
    let out = kith_with(data, &cfg, &["backup", "list"]).await;
    assert!(stdout(&out).contains("pre-upgrade"), "{}", stdout(&out));
    assert!(backups_in(data).is_empty(), "kept apart from the rotation");

    let out = kith_with(
        data,
        &cfg,
        &["restore", "--yes", snapshots[0].to_str().unwrap()],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("was upgraded"), "{}", stdout(&out));
    let conn = Connection::open(data.join("kith.db")).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, kith::db::LATEST_VERSION);
    let out = kith(data, &["db", "check"], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn administrators_back_up_from_the_page_and_download_the_file() {
    let app = spawn_app_with(|c| c.backup.min_free_megabytes = 1).await;
    app.complete_setup().await;
    let (status, html) = app.get_html("/admin/backups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&text("backups.empty")), "{html}");

    let r = app.post_form(&app.client, "/admin/backups", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut html = String::new();
    for _ in 0..100 {
        html = app.get_html("/admin/backups").await.1;
        if html.contains("download?name=") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let start = html
        .find("/admin/backups/download?name=")
        .expect("a download link");
    let link = unescape(&html[start..html[start..].find('"').unwrap() + start]);
    let r = app.get(&link).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..8], b"KITHBAK1");
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"backup.created".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"backup.downloaded".to_string()),
        "{actions:?}"
    );
    assert_eq!(
        app.get("/admin/backups/download?name=..%2Fkith.db")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Only administrators.
    app.create_user("li@huaxing.cn", "李雷", "manager", PASSWORD)
        .await;
    let manager = app.signed_in_client("li@huaxing.cn", PASSWORD).await;
    assert_eq!(
        app.get_as(&manager, "/admin/backups").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get_as(&manager, &link).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app.post_form(&manager, "/admin/backups", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Chinese page.
    let r = app
        .client
        .get(app.url("/admin/backups"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains(&text_zh("backups.run_now")), "{html}");
}

#[tokio::test]
async fn healthz_reports_backups_and_turns_unhealthy_when_they_are_late() {
    let app = spawn_app().await;
    let health: serde_json::Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["checks"]["backup"]["ok"], true);
    assert!(health["checks"]["disk"]["free_megabytes"].as_u64().unwrap() > 0);
    let late = spawn_app_with(|c| c.backup.alert_after_hours = 0).await;
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let r = late.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: serde_json::Value = r.json().await.unwrap();
    assert_eq!(health["failing"], "backup");
}
