//! Importing the product catalog (SKU, name, unit, price, tax rate, active) by command and on
//! the import pages, and what an import may do with companies the importer may not create.

use crate::helpers::*;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};

fn data(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    p.to_str().unwrap().to_string()
}

/// Runs `kith import FILE --into ENTITY --as-user EMAIL` with `extra`; returns the output.
async fn import_as(dir: &Path, email: &str, file: &str, into: &str, extra: &[&str]) -> String {
    let mut args = vec!["import", file, "--into", into, "--as-user", email];
    args.extend_from_slice(extra);
    let o = kith(dir, &args, None).await;
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

fn last_line(out: &str) -> &str {
    out.lines().last().unwrap_or_default()
}

/// A server set up with an administrator and the administrator's address.
async fn app() -> (TestApp, &'static str) {
    let app = spawn_app().await;
    app.complete_setup().await;
    let email = "boss@huaxing.cn";
    app.create_user(email, "产品经理", "admin", PASSWORD).await;
    (app, email)
}

#[tokio::test]
async fn a_chinese_product_list_imports_with_exact_prices_and_refuses_bad_rows() {
    let (app, admin) = app().await;
    let dir = app.dir.path();
    let file = data("products-zh.csv");
    let dry = import_as(dir, admin, &file, "products", &["--dry-run"]).await;
    assert_eq!(
        last_line(&dry),
        "dry run: 9 to create, 0 to update, 1 duplicates to skip, 3 rejected; nothing was written"
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 0);

    let done = import_as(dir, admin, &file, "products", &[]).await;
    assert!(
        last_line(&done).ends_with("9 created, 0 updated, 1 duplicates skipped, 3 rejected"),
        "{done}"
    );
    let price = |sku: &str| {
        app.query_string(&format!(
            "SELECT price || '/' || tax_rate || '/' || active || '/' || unit FROM products WHERE sku = '{sku}'"
        ))
    };
    assert_eq!(price("SRV-1001"), "1280000/1300/1/台", "12,800.00 exactly");
    assert_eq!(price("SRV-1002"), "2560000/1300/1/台", "13% read as 13");
    assert_eq!(price("NET-2001"), "349950/1300/1/台");
    assert_eq!(
        price("NET-2002"),
        "189900/1300/0/台",
        "停用 imports inactive"
    );
    assert_eq!(price("LIC-4002"), "16880/1300/1/套", "no state: active");
    assert_eq!(
        app.query_i64("SELECT count(*) FROM audit_log WHERE action = 'product.create'"),
        9
    );
    let report = app.query_string("SELECT report FROM imports");
    for reason in [
        "product.error.name",
        "product.error.price",
        "product.error.tax_rate",
    ] {
        assert!(report.contains(reason), "{reason} in {report}");
    }
    let verify = kith(dir, &["audit", "verify"], None).await;
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[tokio::test]
async fn products_update_by_sku_refuse_a_second_product_with_one_and_undo() {
    let (app, admin) = app().await;
    let dir = app.dir.path();
    import_as(dir, admin, &data("products-zh.csv"), "products", &[]).await;
    let changes = dir.join("changes.csv");
    std::fs::write(
        &changes,
        "SKU,Product Name,Unit Price,Tax Rate,Active\n\
         srv-1001,Cloud server,\"13,800\",13%,Inactive\n\
         NEW-1,Rack,10,0,yes\n",
    )
    .unwrap();
    let changes = changes.to_str().unwrap();

    // Create: SKUs are unique, so the row for an existing product is refused.
    let created = import_as(
        dir,
        admin,
        changes,
        "products",
        &["--on-duplicate", "create"],
    )
    .await;
    assert!(
        last_line(&created).ends_with("1 created, 0 updated, 0 duplicates skipped, 1 rejected"),
        "{created}"
    );
    let report = app.query_string("SELECT report FROM imports ORDER BY id DESC LIMIT 1");
    assert!(report.contains("product.error.sku_taken"), "{report}");

    // Update: the row's columns change, the others stay as they were.
    let updated = import_as(
        dir,
        admin,
        changes,
        "products",
        &["--on-duplicate", "update"],
    )
    .await;
    assert!(
        last_line(&updated).ends_with("0 created, 2 updated, 0 duplicates skipped, 0 rejected"),
        "{updated}"
    );
    let row = || {
        app.query_string(
            "SELECT name || '/' || price || '/' || active || '/' || unit FROM products WHERE sku = 'SRV-1001' COLLATE NOCASE",
        )
    };
    assert_eq!(row(), "Cloud server/1380000/0/台");

    // Undo puts the earlier values back.
    let actor = kith::db::Actor::system("test");
    let last = app.query_i64("SELECT max(id) FROM imports");
    let undone = kith::crm::imports::undo::undo(&app.state.db, &actor, last).unwrap();
    assert_eq!(undone, (2, 0));
    assert_eq!(row(), "云服务器 标准版/1280000/1/台");

    // Undoing the import that created NEW-1 removes it: no quote uses it.
    let (_, removed) = kith::crm::imports::undo::undo(&app.state.db, &actor, last - 1).unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM products WHERE sku = 'NEW-1'"),
        0
    );
    let verify = kith(dir, &["audit", "verify"], None).await;
    assert!(verify.status.success(), "{}", stderr(&verify));
}

#[tokio::test]
async fn products_are_offered_on_the_import_page_only_to_those_who_may_create_them() {
    let (app, _) = app().await;
    let (status, html) = app.get_html("/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<option value="products""#), "admin may");
    app.create_user("rep@huaxing.cn", "销售甲", "sales", PASSWORD)
        .await;
    let rep = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let (status, html) = app.get_html_as(&rep, "/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains(r#"<option value="products""#),
        "a rep may not"
    );
}

#[tokio::test]
async fn a_role_that_may_not_create_companies_gets_rows_naming_unknown_ones_refused() {
    let (app, admin) = app().await;
    let dir = app.dir.path();
    let key = make_role(
        &app,
        "sales",
        &[("name", "联系人录入"), ("g.companies.create", "none")],
    )
    .await;
    app.create_user("clerk@huaxing.cn", "录入员", &key, PASSWORD)
        .await;
    let file = data("customers-zh-gbk.csv");

    let clerk = import_as(dir, "clerk@huaxing.cn", &file, "contacts", &["--dry-run"]).await;
    assert!(
        clerk.contains("company_id: "),
        "the reason is given per line: {clerk}"
    );
    assert!(
        last_line(&clerk).starts_with("dry run: 0 to create"),
        "{clerk}"
    );
    let done = import_as(dir, "clerk@huaxing.cn", &file, "contacts", &[]).await;
    assert!(last_line(&done).contains(" 0 created"), "{done}");
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), 0);
    let report = app.query_string("SELECT report FROM imports");
    assert!(report.contains("import.error.company_not_allowed"));

    // Once the companies exist, the same rows go in linked to them.
    import_as(dir, admin, &file, "companies", &[]).await;
    let companies = app.query_i64("SELECT count(*) FROM companies");
    let again = import_as(dir, "clerk@huaxing.cn", &file, "contacts", &[]).await;
    assert!(!last_line(&again).contains(" 0 created"), "{again}");
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), companies);
    assert!(app.query_i64("SELECT count(*) FROM contacts WHERE company_id IS NOT NULL") > 100);
}
