//! The `kith` command line: configuration, users, the database, demo data.

use crate::helpers::*;

const ADD_SALES: &[&str] = &[
    "user",
    "add",
    "--email",
    "a@b.cn",
    "--name",
    "A",
    "--role",
    "sales",
    "--password-stdin",
];

#[tokio::test]
async fn the_default_config_is_accepted_by_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kith.toml");

    let default = kith(dir.path(), &["config", "default"], None).await;
    std::fs::write(&file, stdout(&default)).unwrap();
    let check = kith(
        dir.path(),
        &["--config", file.to_str().unwrap(), "config", "check"],
        None,
    )
    .await;

    assert!(default.status.success(), "{}", stderr(&default));
    assert!(stdout(&default).contains("[server]"));
    assert!(check.status.success(), "{}", stderr(&check));
    let effective: toml::Table = stdout(&check).parse().unwrap();
    assert_eq!(
        effective["data"]["dir"].as_str(),
        dir.path().to_str(),
        "--data wins over the file"
    );
}

#[tokio::test]
async fn an_unknown_key_in_the_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kith.toml");
    std::fs::write(&file, "[server]\nlisten_adress = \"0.0.0.0:8080\"\n").unwrap();

    let o = kith(
        dir.path(),
        &["--config", file.to_str().unwrap(), "config", "check"],
        None,
    )
    .await;

    let line = one_line_error(&o);
    assert!(line.contains("listen_adress"), "{line}");
}

#[tokio::test]
async fn an_unknown_environment_variable_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = kith_cmd(dir.path());
    cmd.env("KITH_SERVER__NOPE", "1").args(["config", "check"]);

    let o = run(cmd, None).await;

    let line = one_line_error(&o);
    assert!(line.to_lowercase().contains("nope"), "{line}");
}

#[tokio::test]
async fn environment_variables_set_known_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = kith_cmd(dir.path());
    cmd.env("KITH_SESSION__IDLE_TIMEOUT_MINUTES", "30")
        .args(["config", "check"]);

    let o = run(cmd, None).await;

    assert!(o.status.success(), "{}", stderr(&o));
    let effective: toml::Table = stdout(&o).parse().unwrap();
    assert_eq!(
        effective["session"]["idle_timeout_minutes"].as_integer(),
        Some(30)
    );
}

#[tokio::test]
async fn users_are_added_listed_and_disabled_from_the_command_line() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();

    // Act
    let add = kith(dir.path(), ADD_SALES, Some("a long enough passphrase\n")).await;
    let list = kith(dir.path(), &["user", "list"], None).await;
    let disable = kith(dir.path(), &["user", "disable", "a@b.cn"], None).await;
    let after = kith(dir.path(), &["user", "list"], None).await;

    // Assert
    assert!(add.status.success(), "{}", stderr(&add));
    assert!(stdout(&add).contains("a@b.cn"), "{}", stdout(&add));
    assert!(!stdout(&add).contains("password:"), "nothing generated");
    let listed = stdout(&list);
    let row = listed
        .lines()
        .find(|l| l.contains("a@b.cn"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .expect("the user is listed");
    assert_eq!(row[1..], ["a@b.cn", "sales", "active", "A"]);
    assert!(disable.status.success(), "{}", stderr(&disable));
    assert!(stdout(&after).contains("disabled"), "{}", stdout(&after));
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    let actions: String = conn
        .query_row(
            "SELECT group_concat(action || ':' || actor, ' ') FROM audit_log",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(actions, "user.create:cli user.disable:cli");
}

#[tokio::test]
async fn a_user_added_on_the_command_line_can_sign_in() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let add = kith(
        app.dir.path(),
        ADD_SALES,
        Some("a long enough passphrase\n"),
    )
    .await;
    let login = app
        .login(&app.new_client(), "a@b.cn", "a long enough passphrase")
        .await;

    assert!(add.status.success(), "{}", stderr(&add));
    assert_eq!(login.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn user_passwd_sets_a_new_password_and_ends_the_users_sessions() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let before = app.get("/").await.status();

    let o = kith(
        app.dir.path(),
        &["user", "passwd", ADMIN_EMAIL, "--password-stdin"],
        Some("a brand new passphrase\n"),
    )
    .await;
    let after = app.get("/").await.status();
    let login = app
        .login(&app.new_client(), ADMIN_EMAIL, "a brand new passphrase")
        .await;

    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(before, reqwest::StatusCode::OK);
    assert_eq!(after, reqwest::StatusCode::SEE_OTHER, "signed out");
    assert_eq!(login.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn user_add_without_password_stdin_prints_a_generated_password_once() {
    let dir = tempfile::tempdir().unwrap();

    let o = kith(
        dir.path(),
        &[
            "user", "add", "--email", "c@d.cn", "--name", "C", "--role", "viewer",
        ],
        None,
    )
    .await;

    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password");
    assert!(password.len() >= 16, "{password}");
}

#[tokio::test]
async fn user_add_with_a_weak_password_fails_with_a_one_line_reason() {
    let dir = tempfile::tempdir().unwrap();

    let o = kith(dir.path(), ADD_SALES, Some("123456789\n")).await;

    let line = one_line_error(&o);
    assert!(line.contains("password"), "{line}");
    let list = kith(dir.path(), &["user", "list"], None).await;
    assert!(!stdout(&list).contains("a@b.cn"), "no user was created");
}

#[tokio::test]
async fn user_add_with_an_unknown_role_or_bad_email_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();

    let role = kith(
        dir.path(),
        &[
            "user", "add", "--email", "a@b.cn", "--name", "A", "--role", "boss",
        ],
        None,
    )
    .await;
    let email = kith(
        dir.path(),
        &[
            "user", "add", "--email", "a-at-b", "--name", "A", "--role", "sales",
        ],
        None,
    )
    .await;

    assert!(one_line_error(&role).contains("role"));
    assert!(one_line_error(&email).contains("email"));
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_disabled_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let add = kith(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "boss@b.cn",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough passphrase\n"),
    )
    .await;
    assert!(add.status.success(), "{}", stderr(&add));

    let o = kith(dir.path(), &["user", "disable", "boss@b.cn"], None).await;

    let line = one_line_error(&o);
    assert!(
        line.contains(&kith::web::i18n::Lang::En.tr("users.error.last_admin")),
        "{line}"
    );
    let list = kith(dir.path(), &["user", "list"], None).await;
    assert!(stdout(&list).contains("active"), "{}", stdout(&list));
}

#[tokio::test]
async fn disabling_an_unknown_user_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    kith(dir.path(), ADD_SALES, Some("a long enough passphrase\n")).await;

    let o = kith(dir.path(), &["user", "disable", "nobody@b.cn"], None).await;

    assert!(one_line_error(&o).contains("nobody@b.cn"));
}

#[tokio::test]
async fn db_migrate_prints_the_schema_version_and_db_check_says_ok() {
    let dir = tempfile::tempdir().unwrap();

    let migrate = kith(dir.path(), &["db", "migrate"], None).await;
    let check = kith(dir.path(), &["db", "check"], None).await;

    assert!(migrate.status.success(), "{}", stderr(&migrate));
    assert!(
        stdout(&migrate).contains(&format!("schema version {}", kith::db::LATEST_VERSION)),
        "{}",
        stdout(&migrate)
    );
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(stdout(&check).starts_with("OK"), "{}", stdout(&check));
}

#[tokio::test]
async fn db_check_refuses_a_database_from_a_newer_kith() {
    let dir = tempfile::tempdir().unwrap();
    kith(dir.path(), &["db", "migrate"], None).await;
    rusqlite::Connection::open(dir.path().join("kith.db"))
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();

    let o = kith(dir.path(), &["db", "check"], None).await;

    let line = one_line_error(&o);
    assert!(line.contains("newer") && line.contains("99"), "{line}");
    let version: u32 = rusqlite::Connection::open(dir.path().join("kith.db"))
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99, "the file is left alone");
}

#[tokio::test]
async fn commands_that_need_a_database_say_so_when_there_is_none() {
    let dir = tempfile::tempdir().unwrap();

    let outputs = [
        kith(dir.path(), &["db", "check"], None).await,
        kith(dir.path(), &["user", "list"], None).await,
        kith(dir.path(), &["audit", "verify"], None).await,
    ];

    for o in &outputs {
        assert!(one_line_error(o).contains("no database"), "{}", stderr(o));
    }
    assert!(
        !dir.path().join("kith.db").exists(),
        "no database was created"
    );
}

#[tokio::test]
async fn audit_export_writes_csv_with_a_header_and_one_line_per_entry() {
    let dir = tempfile::tempdir().unwrap();
    kith(dir.path(), ADD_SALES, Some("a long enough passphrase\n")).await;
    kith(dir.path(), &["user", "disable", "a@b.cn"], None).await;

    let o = kith(
        dir.path(),
        &["audit", "export", "--since", "2000-01-01"],
        None,
    )
    .await;

    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("id,at,actor_id,actor"), "{out}");
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[1].starts_with("1,") && lines[1].contains("user.create"));
}

#[tokio::test]
async fn seed_demo_fills_a_fresh_database_with_a_valid_audit_chain() {
    let dir = tempfile::tempdir().unwrap();

    let seed = kith(dir.path(), &["seed", "--demo"], None).await;
    let verify = kith(dir.path(), &["audit", "verify"], None).await;

    assert!(seed.status.success(), "{}", stderr(&seed));
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    let contacts: i64 = conn
        .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert!(contacts >= 300, "{contacts}");
    assert!(verify.status.success(), "{}", stderr(&verify));
}
