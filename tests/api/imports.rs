//! Importing the real-world-shaped files: encodings, other CRMs' exports, duplicates within
//! the file and against the database, the three duplicate policies, the dry run, undo.

use crate::helpers::*;
use std::path::{Path, PathBuf};

pub(crate) fn data(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    p.to_str().unwrap().to_string()
}

/// Adds the administrator the imports run as.
pub(crate) async fn add_importer(dir: &Path) {
    let add = kith(
        dir,
        &[
            "user",
            "add",
            "--email",
            "admin@huaxing.cn",
            "--name",
            "导入员",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(PASSWORD),
    )
    .await;
    assert!(add.status.success(), "{}", stderr(&add));
}

/// A data folder with an administrator, set up as after first run.
async fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    add_importer(dir.path()).await;
    dir
}

/// Runs `kith import` and returns its summary line.
pub(crate) async fn import(dir: &Path, file: &str, into: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "import",
        file,
        "--into",
        into,
        "--as-user",
        "admin@huaxing.cn",
    ];
    args.extend_from_slice(extra);
    let o = kith(dir, &args, None).await;
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().last().unwrap_or_default().to_string()
}

fn count(dir: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join("kith.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn the_chinese_customer_list_imports_alike_from_gbk_and_utf8_with_duplicates_and_bad_rows_reported()
 {
    let dir = folder().await;
    let gbk = data("customers-zh-gbk.csv");
    let dry = import(dir.path(), &gbk, "contacts", &["--dry-run"]).await;
    assert_eq!(
        dry,
        "dry run: 300 to create, 0 to update, 15 duplicates to skip, 2 rejected; nothing was written"
    );
    assert_eq!(
        count(dir.path(), "SELECT count(*) FROM contacts"),
        0,
        "a dry run writes nothing"
    );

    let done = import(dir.path(), &gbk, "contacts", &[]).await;
    assert!(
        done.ends_with("300 created, 0 updated, 15 duplicates skipped, 2 rejected"),
        "{done}"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM contacts WHERE deleted_at IS NULL"
        ),
        300
    );
    assert!(
        count(dir.path(), "SELECT count(*) FROM companies") > 100,
        "companies made for the contacts"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM contacts WHERE name = '马娟子' AND mobile = '+8618963288278' AND company_id IS NOT NULL"
        ),
        1
    );
    assert!(
        count(dir.path(), "SELECT count(*) FROM search_words") > 0,
        "searchable"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM audit_log WHERE action = 'contact.create'"
        ),
        300
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM audit_log WHERE action = 'import.run'"
        ),
        1
    );

    let verify = kith(dir.path(), &["audit", "verify"], None).await;
    assert!(
        verify.status.success(),
        "the audit chain holds: {}",
        stderr(&verify)
    );
    let conn = rusqlite::Connection::open(dir.path().join("kith.db")).unwrap();
    let reach = kith::crm::search::store::Reach::default();
    let found = |q: &str| {
        kith::crm::search::store::search(&conn, q, 50, &reach, None)
            .unwrap()
            .iter()
            .any(|(_, r)| r.values["name"] == "马娟子")
    };
    assert!(
        found("娟子"),
        "two Chinese characters find the imported contact"
    );
    assert!(found("8963288"), "and so do a few digits of the mobile");

    // The same rows again, saved as UTF-8 with a byte-order mark: all duplicates now.
    let again = import(
        dir.path(),
        &data("customers-zh-utf8-bom.csv"),
        "contacts",
        &[],
    )
    .await;
    assert!(
        again.ends_with("0 created, 0 updated, 315 duplicates skipped, 2 rejected"),
        "{again}"
    );
}

#[tokio::test]
async fn english_files_and_other_crms_exports_map_their_columns() {
    let dir = folder().await;
    let en = import(dir.path(), &data("contacts-en.csv"), "contacts", &[]).await;
    assert!(
        en.ends_with("200 created, 0 updated, 0 duplicates skipped, 1 rejected"),
        "{en}"
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT count(*) FROM contacts WHERE name = 'John Miller'"
        ),
        1,
        "first and last name joined"
    );
    assert!(
        count(dir.path(), "SELECT count(*) FROM record_tags") > 0,
        "tags column applied"
    );

    let dir = folder().await;
    let sf = import(
        dir.path(),
        &data("export-salesforce-style-contacts.csv"),
        "contacts",
        &[],
    )
    .await;
    assert!(
        sf.ends_with("150 created, 0 updated, 0 duplicates skipped, 0 rejected"),
        "{sf}"
    );
    let hs = import(
        dir.path(),
        &data("export-hubspot-style-contacts.csv"),
        "contacts",
        &[],
    )
    .await;
    assert!(
        hs.ends_with("0 created, 0 updated, 150 duplicates skipped, 0 rejected"),
        "same people: {hs}"
    );
}

#[tokio::test]
async fn duplicate_policies_update_or_create_and_an_import_undoes_as_a_whole() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path();
    add_importer(dir).await;
    let sf = data("export-salesforce-style-contacts.csv");
    import(dir, &sf, "contacts", &[]).await;
    let before =
        app.query_string("SELECT source FROM contacts WHERE email = 'john.miller70@example.com'");

    // The HubSpot file has the same people with their lifecycle stage: update fills it in.
    let updated = import(
        dir,
        &data("export-hubspot-style-contacts.csv"),
        "contacts",
        &["--on-duplicate", "update"],
    )
    .await;
    assert!(
        updated.ends_with("0 created, 150 updated, 0 duplicates skipped, 0 rejected"),
        "{updated}"
    );
    assert_eq!(
        app.query_string("SELECT status FROM contacts WHERE email = 'william.lopez29@example.com'"),
        "prospect"
    );
    assert_eq!(
        app.query_string("SELECT source FROM contacts WHERE email = 'john.miller70@example.com'"),
        before,
        "values the file does not have stay"
    );

    let created = import(dir, &sf, "contacts", &["--on-duplicate", "create"]).await;
    assert!(
        created.ends_with("150 created, 0 updated, 0 duplicates skipped, 0 rejected"),
        "{created}"
    );
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
        300
    );

    // Undo the update: every contact gets its earlier values back.
    let update_import =
        app.query_i64("SELECT id FROM imports WHERE state = 'done' ORDER BY id LIMIT 1 OFFSET 1");
    let actor = kith::db::Actor::system("test");
    let (restored, removed) =
        kith::crm::imports::undo::undo(&app.state.db, &actor, update_import).unwrap();
    assert_eq!((restored, removed), (150, 0));
    assert_ne!(app.query_string("SELECT status FROM contacts WHERE email = 'william.lopez29@example.com' ORDER BY id LIMIT 1"), "prospect");
    assert!(
        kith::crm::imports::undo::undo(&app.state.db, &actor, update_import).is_err(),
        "only once"
    );

    // Undo the last import: what it created goes to the trash.
    let last = app.query_i64("SELECT max(id) FROM imports");
    let (_, removed) = kith::crm::imports::undo::undo(&app.state.db, &actor, last).unwrap();
    assert_eq!(removed, 150);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
        150
    );
    assert_eq!(
        app.query_i64("SELECT count(*) FROM audit_log WHERE action = 'import.undo'"),
        2
    );
}

#[tokio::test]
async fn deals_come_in_from_a_workbook_sheet_with_stages_by_name() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path();
    add_importer(dir).await;
    let o = kith(
        dir,
        &[
            "import",
            &data("deals-zh.xlsx"),
            "--into",
            "deals",
            "--sheet",
            "商机",
            "--as-user",
            "admin@huaxing.cn",
        ],
        None,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let created = app.query_i64("SELECT count(*) FROM deals");
    let rejected = app.query_i64("SELECT rejected FROM imports");
    assert_eq!(created + rejected, 120);
    assert!(created >= 100, "{created}");
    assert!(
        stderr(&o).contains("120 / 120 rows"),
        "progress shown: {}",
        stderr(&o)
    );
    assert_eq!(
        app.query_i64("SELECT count(*) FROM deals WHERE amount = 85846743"),
        1,
        "858467.43 exactly"
    );
    let report = app.query_string("SELECT report FROM imports");
    assert!(report.contains("import.error.stage"), "{report}");
    let bad = kith(
        dir,
        &[
            "import",
            &data("deals-zh.xlsx"),
            "--into",
            "deals",
            "--sheet",
            "Sheet9",
        ],
        None,
    )
    .await;
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("商机"),
        "names the sheets: {}",
        stderr(&bad)
    );
}
