use crate::helpers::*;

fn one_line_error(o: &std::process::Output) -> String {
    assert!(!o.status.success(), "expected failure, got {}", stdout(o));
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    assert!(lines[0].starts_with("kith: "), "{err}");
    lines[0].to_string()
}

#[test]
fn users_are_added_listed_and_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut add = kith(dir.path());
    add.args([
        "user",
        "add",
        "--email",
        "ma@huaxing.cn",
        "--name",
        "马超",
        "--role",
        "admin",
        "--password-stdin",
    ]);
    let o = run(add, Some("a long enough passphrase\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut second = kith(dir.path());
    second.args([
        "user",
        "add",
        "--email",
        "lu@huaxing.cn",
        "--name",
        "陆",
        "--role",
        "sales",
    ]);
    let o = run(second, None);
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("password: "),
        "a generated password is printed once"
    );
    let mut list = kith(dir.path());
    list.args(["user", "list"]);
    let out = stdout(&run(list, None));
    assert!(out.contains("ma@huaxing.cn") && out.contains("马超"));
    let mut disable = kith(dir.path());
    disable.args(["user", "disable", "lu@huaxing.cn"]);
    assert!(run(disable, None).status.success());
    let mut list = kith(dir.path());
    list.args(["user", "list"]);
    assert!(stdout(&run(list, None)).contains("disabled"));
}

#[test]
fn a_weak_password_or_unknown_role_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut add = kith(dir.path());
    add.args([
        "user",
        "add",
        "--email",
        "a@b.cn",
        "--name",
        "A",
        "--role",
        "admin",
        "--password-stdin",
    ]);
    let line = one_line_error(&run(add, Some("123456789\n")));
    assert!(line.contains("password"), "{line}");
    let mut add = kith(dir.path());
    add.args([
        "user", "add", "--email", "a@b.cn", "--name", "A", "--role", "boss",
    ]);
    assert!(one_line_error(&run(add, None)).contains("role"));
}

#[test]
fn the_default_config_checks_and_unknown_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut default = kith(dir.path());
    default.args(["config", "default"]);
    let text = stdout(&run(default, None));
    let file = dir.path().join("kith.toml");
    std::fs::write(&file, &text).unwrap();
    let mut check = kith(dir.path());
    check.arg("--config").arg(&file).args(["config", "check"]);
    let o = run(check, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("listen"));

    std::fs::write(&file, format!("{text}\n[backups]\nkeep = 3\n")).unwrap();
    let mut check = kith(dir.path());
    check.arg("--config").arg(&file).args(["config", "check"]);
    assert!(one_line_error(&run(check, None)).contains("backups"));

    let mut check = kith(dir.path());
    check
        .env("KITH_SERVER__NOPE", "1")
        .args(["config", "check"]);
    assert!(one_line_error(&run(check, None)).contains("nope"));
}

#[test]
fn db_check_and_migrate_report_and_a_newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut migrate = kith(dir.path());
    migrate.args(["db", "migrate"]);
    let o = run(migrate, None);
    assert!(stdout(&o).contains("schema version"), "{}", stderr(&o));
    let mut check = kith(dir.path());
    check.args(["db", "check"]);
    assert!(stdout(&run(check, None)).starts_with("OK"));
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let mut check = kith(dir.path());
    check.args(["db", "check"]);
    assert!(one_line_error(&run(check, None)).contains("newer"));
}

fn seeded_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let mut add = kith(dir.path());
        add.args([
            "user",
            "add",
            "--email",
            &format!("u{i}@huaxing.cn"),
            "--name",
            &format!("用户{i}"),
            "--role",
            "sales",
        ]);
        assert!(run(add, None).status.success());
    }
    dir
}

fn verify(dir: &std::path::Path) -> std::process::Output {
    let mut v = kith(dir);
    v.args(["audit", "verify"]);
    run(v, None)
}

fn tamper(dir: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(dir.join("kith.db"))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

#[test]
fn audit_verify_proves_an_untouched_chain() {
    let dir = seeded_dir();
    let o = verify(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("OK: 4 entries, head "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn audit_verify_names_an_entry_changed_in_the_database_file() {
    let dir = seeded_dir();
    tamper(
        dir.path(),
        "UPDATE audit_log SET actor = 'mallory' WHERE id = 2",
    );
    let line = one_line_error(&verify(dir.path()));
    assert!(line.contains("#2") && line.contains("altered"), "{line}");
}

#[test]
fn audit_verify_names_a_deleted_entry() {
    let dir = seeded_dir();
    tamper(dir.path(), "DELETE FROM audit_log WHERE id = 3");
    let line = one_line_error(&verify(dir.path()));
    assert!(line.contains("#3") && line.contains("removed"), "{line}");
}

#[test]
fn audit_verify_names_an_inserted_entry() {
    let dir = seeded_dir();
    tamper(
        dir.path(),
        "INSERT INTO audit_log (id, at, actor, action, changes, prev_hash, hash)
         SELECT 5, at, 'mallory', 'user.delete', '[]', hash, 'forged' FROM audit_log WHERE id = 4",
    );
    let line = one_line_error(&verify(dir.path()));
    assert!(line.contains("#5") && line.contains("inserted"), "{line}");
}

#[test]
fn audit_export_writes_csv_with_a_header() {
    let dir = seeded_dir();
    let mut export = kith(dir.path());
    export.args(["audit", "export", "--since", "2000-01-01"]);
    let out = stdout(&run(export, None));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("id,at,actor_id"));
    assert_eq!(lines.len(), 5);
}

#[test]
fn seed_demo_fills_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = kith(dir.path());
    seed.args(["seed", "--demo"]);
    let o = run(seed, None);
    assert!(o.status.success(), "{}", stderr(&o));
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    let contacts: i64 = conn
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert!(contacts >= 300);
    assert!(verify(dir.path()).status.success());
}
