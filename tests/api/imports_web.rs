//! The import pages: upload, mapping, the check (dry run), running in the background with
//! progress, the error file, undo, the size limit, who may see and do what.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use std::time::Duration;

fn data(name: &str) -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    std::fs::read(format!("{dir}{name}")).unwrap()
}

/// Posts the upload form: the file, the entity, `fields`, and the CSRF token when given.
async fn upload(
    app: &TestApp,
    c: &Client,
    entity: &str,
    (name, bytes): (&str, Vec<u8>),
    fields: &[(&str, &str)],
    csrf: Option<String>,
) -> Response {
    let mut form = Form::new();
    if let Some(token) = csrf {
        form = form.text("csrf", token);
    }
    form = form.text("entity", entity.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let part = Part::bytes(bytes).file_name(name.to_string());
    c.post(app.url("/imports"))
        .multipart(form.part("file", part))
        .send()
        .await
        .unwrap()
}

/// Uploads as `c` and returns the new import's id from the redirect.
async fn uploaded(app: &TestApp, c: &Client, entity: &str, file: &str) -> i64 {
    let token = app.csrf(c).await;
    let r = upload(app, c, entity, (file, data(file)), &[], Some(token)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "upload of {file}");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    location.strip_prefix("/imports/").unwrap().parse().unwrap()
}

/// The mapping stored for an import, as the `col_N` fields of the mapping form.
fn stored_mapping(app: &TestApp, id: i64) -> Vec<(String, String)> {
    let json = app.query_string(&format!("SELECT mapping FROM imports WHERE id = {id}"));
    let mapping: Vec<Option<String>> = serde_json::from_str(&json).unwrap();
    let cols = mapping.into_iter().enumerate();
    cols.map(|(i, m)| (format!("col_{i}"), m.unwrap_or_default()))
        .collect()
}

/// Posts the check (`/imports/{id}/preview`) as `c` with the stored mapping, `policy` and
/// `extra` fields.
async fn preview(
    app: &TestApp,
    c: &Client,
    id: i64,
    policy: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut form = stored_mapping(app, id);
    form.push(("policy".into(), policy.into()));
    let mut fields: Vec<(&str, &str)> =
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.extend_from_slice(extra);
    app.post_form(c, &format!("/imports/{id}/preview"), &fields)
        .await
}

fn state(app: &TestApp, id: i64) -> String {
    app.query_string(&format!("SELECT state FROM imports WHERE id = {id}"))
}

/// Polls the import's page (which shows progress meanwhile) until the import is `wanted`.
pub(crate) async fn wait_until(app: &TestApp, id: i64, wanted: &str) {
    for _ in 0..100 {
        let (status, _) = app.get_html(&format!("/imports/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        if state(app, id) == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} still {} after 10 s", state(app, id));
}

/// Polls the import's page until the import is done.
async fn wait_until_done(app: &TestApp, id: i64) {
    wait_until(app, id, "done").await;
}

#[tokio::test]
async fn a_gbk_customer_list_is_mapped_checked_run_downloaded_and_undone() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let (status, html) = app.get_html("/imports?entity=leads").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<option value="leads" selected>"#),
        "a list's Import button preselects it"
    );
    let id = uploaded(&app, &app.client, "contacts", "customers-zh-gbk.csv").await;

    // The mapping step lists the file's columns with their proposed fields.
    let (status, html) = app.get_html(&format!("/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for header in ["客户名称", "联系人", "手机", "客户级别"] {
        assert!(html.contains(header), "column {header} listed");
    }
    assert!(
        html.contains(r#"<option value="mobile" selected>"#),
        "{html}"
    );

    // The check shows what would happen and writes nothing but the choices.
    let r = preview(&app, &app.client, id, "skip", &[("remember", "1")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for n in ["300", "15", "2"] {
        assert!(html.contains(n), "count {n} shown");
    }
    assert!(
        html.contains(">40<") && html.contains(">231<"),
        "rejected lines listed"
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), 0);
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), 0);
    assert_eq!(state(&app, id), "new");
    assert_eq!(
        app.query_i64("SELECT count(*) FROM import_templates WHERE entity = 'contacts'"),
        1,
        "mapping remembered"
    );

    // Running starts in the background; the page shows progress, then the result.
    let r = app
        .post_form(&app.client, &format!("/imports/{id}/run"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_until_done(&app, id).await;
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
        300
    );
    let (status, html) = app.get_html(&format!("/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/imports/{id}/errors.csv")));
    assert!(html.contains(&format!("/imports/{id}/undo")));

    // The error file: the skipped and rejected rows with their line numbers.
    let r = app.get(&format!("/imports/{id}/errors.csv")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a BOM");
    let mut csv = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        csv.headers().unwrap().len(),
        11 + 2,
        "line, the file's columns, error"
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 17, "15 duplicates and 2 rows with errors");
    let lines: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert!(lines.contains(&"40") && lines.contains(&"231"), "{lines:?}");

    // Undo puts the import's records in the trash.
    let r = app
        .post_form(&app.client, &format!("/imports/{id}/undo"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(location.contains("notice=import_undone"), "{location}");
    wait_until(&app, id, "undone").await;
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NOT NULL"),
        300
    );
    let (status, _) = app.get_html(&format!("/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_file_over_the_import_limit_gets_a_413_and_is_not_kept() {
    let app = spawn_app_with(|c| c.api.import_max_megabytes = 1).await;
    app.complete_setup().await;
    let token = app.csrf(&app.client).await;
    let mut big = b"name,mobile\n".to_vec();
    while big.len() < 1536 * 1024 {
        big.extend_from_slice("张伟,13800138000\n".as_bytes());
    }
    let r = upload(
        &app,
        &app.client,
        "contacts",
        ("big.csv", big),
        &[],
        Some(token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.query_i64("SELECT count(*) FROM imports"), 0);
}

#[tokio::test]
async fn an_unknown_sheet_is_refused_with_the_sheets_the_workbook_has() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = app.csrf(&app.client).await;
    let file = ("deals-zh.xlsx", data("deals-zh.xlsx"));
    let r = upload(
        &app,
        &app.client,
        "deals",
        file,
        &[("sheet", "不存在")],
        Some(token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("商机"), "names the sheets");
    assert!(html.contains(r#"value="不存在""#), "the input is kept");
    assert_eq!(app.query_i64("SELECT count(*) FROM imports"), 0);
}

#[tokio::test]
async fn a_sales_rep_cannot_see_an_admins_import_and_a_viewer_cannot_upload() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = uploaded(&app, &app.client, "contacts", "contacts-en.csv").await;
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;
    app.create_user("v@huaxing.cn", "查看", "viewer", PASSWORD)
        .await;

    let rep = app.signed_in_client("zhou@huaxing.cn", PASSWORD).await;
    for path in [
        format!("/imports/{id}"),
        format!("/imports/{id}/errors.csv"),
    ] {
        let (status, _) = app.get_html_as(&rep, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .post_form(&rep, &format!("/imports/{id}/run"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, html) = app.get_html_as(&rep, "/imports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("contacts-en.csv"),
        "another user's import is not listed"
    );
    assert_eq!(state(&app, id), "new");

    let viewer = app.signed_in_client("v@huaxing.cn", PASSWORD).await;
    let token = app.csrf(&viewer).await;
    let file = ("contacts-en.csv", data("contacts-en.csv"));
    let r = upload(&app, &viewer, "contacts", file, &[], Some(token)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM imports"), 1);
}

#[tokio::test]
async fn import_posts_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let file = ("contacts-en.csv", data("contacts-en.csv"));
    let r = upload(&app, &app.client, "contacts", file, &[], None).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM imports"), 0);

    let id = uploaded(&app, &app.client, "contacts", "contacts-en.csv").await;
    for step in ["preview", "run", "undo"] {
        let r = app
            .client
            .post(app.url(&format!("/imports/{id}/{step}")))
            .form(&[("policy", "skip")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{step}");
    }
    assert_eq!(state(&app, id), "new");
    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), 0);
}

#[tokio::test]
async fn a_sales_reps_import_cannot_update_or_give_away_records_beyond_their_reach() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let first = uploaded(&app, &app.client, "contacts", "contacts-en.csv").await;
    let r = app
        .post_form(&app.client, &format!("/imports/{first}/run"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_until_done(&app, first).await;
    let before = app.query_i64("SELECT count(*) FROM contacts");
    app.create_user("zhou@huaxing.cn", "周杰", "sales", PASSWORD)
        .await;
    let rep = app.signed_in_client("zhou@huaxing.cn", PASSWORD).await;

    // Updating the administrator's contacts is refused, at the check and at the run.
    let token = app.csrf(&rep).await;
    let file = ("contacts-en.csv", data("contacts-en.csv"));
    let r = upload(
        &app,
        &rep,
        "contacts",
        file,
        &[("policy", "update")],
        Some(token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = app.query_i64("SELECT max(id) FROM imports");
    let r = preview(&app, &rep, id, "update", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        !html.contains(&format!("/imports/{id}/run")),
        "no run button"
    );
    let r = app
        .post_form(&rep, &format!("/imports/{id}/run"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(state(&app, id), "new");
    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), before);

    // An owner column is not offered: what a rep imports is theirs.
    let id = uploaded(&app, &rep, "contacts", "export-hubspot-style-contacts.csv").await;
    assert!(
        !stored_mapping(&app, id)
            .iter()
            .any(|(_, m)| m == "owner_id")
    );
    let (status, html) = app.get_html_as(&rep, &format!("/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(r#"value="owner_id""#));
    let (_, html) = app.get_html(&format!("/imports/{id}")).await;
    assert!(
        html.contains(r#"value="owner_id""#),
        "an administrator may map it"
    );
}

#[tokio::test]
async fn a_product_catalog_is_mapped_checked_run_and_undone_on_the_import_pages() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = uploaded(&app, &app.client, "products", "products-zh.csv").await;
    let (status, html) = app.get_html(&format!("/imports/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["sku", "name", "unit", "price", "tax_rate", "active"] {
        let selected = format!(r#"<option value="{field}" selected>"#);
        assert!(html.contains(&selected), "{field} proposed");
    }
    assert!(!html.contains(r#"value="tags""#), "products carry no tags");

    let r = preview(&app, &app.client, id, "skip", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(">12<"), "the rejected line is listed");
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 0);

    let r = app
        .post_form(&app.client, &format!("/imports/{id}/run"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_until_done(&app, id).await;
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 9);
    let r = app
        .post_form(&app.client, &format!("/imports/{id}/undo"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    wait_until(&app, id, "undone").await;
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 0);
}
