//! Files on records: upload, permission-checked download, the size limit, removal.

use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    csrf: Option<String>,
) -> reqwest::Response {
    let mut form = Form::new();
    if let Some(token) = csrf {
        form = form.text("csrf", token);
    }
    let part = Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("application/pdf")
        .unwrap();
    c.post(app.url(path))
        .multipart(form.part("file", part))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_file_is_attached_listed_downloaded_and_removed() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = create_record(
        &app,
        "companies",
        &[("name", "附件测试公司"), ("status", "lead")],
    )
    .await;
    let token = app.csrf(&app.client).await;
    let body = b"%PDF-1.4 contract".to_vec();
    let r = upload(
        &app,
        &app.client,
        &format!("/companies/{id}/attachments"),
        "合同 2026.pdf",
        body.clone(),
        Some(token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/companies/{id}")).await;
    assert!(html.contains("合同 2026.pdf"));
    let file = app.query_i64("SELECT id FROM attachments");

    app.create_user("v@huaxing.cn", "查看", "viewer", PASSWORD)
        .await;
    let viewer = app.signed_in_client("v@huaxing.cn", PASSWORD).await;
    let r = app.get_as(&viewer, &format!("/attachments/{file}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("UTF-8''"),
        "{disposition}"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), body);
    assert_eq!(
        app.get_as(&new_client(), &format!("/attachments/{file}"))
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "signed-out visitors are sent to sign in"
    );

    let r = app
        .post_form(&app.client, &format!("/attachments/{file}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/attachments/{file}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"company.attach".to_string())
            && actions.contains(&"company.detach".to_string())
    );
}

#[tokio::test]
async fn a_file_over_the_limit_gets_a_clear_413_and_nothing_is_stored() {
    let app = spawn_app_with(|c| c.attachments.max_megabytes = 1).await;
    app.complete_setup().await;
    let id = create_record(&app, "contacts", &[("name", "大文件"), ("status", "lead")]).await;
    let token = app.csrf(&app.client).await;
    let r = upload(
        &app,
        &app.client,
        &format!("/contacts/{id}/attachments"),
        "big.pdf",
        vec![b'x'; 2 * 1024 * 1024],
        Some(token),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = r.text().await.unwrap();
    assert!(html.contains("1 MB"), "{html}");
    assert_eq!(app.query_i64("SELECT count(*) FROM attachments"), 0);
}

#[tokio::test]
async fn an_upload_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = create_record(&app, "companies", &[("name", "无令牌"), ("status", "lead")]).await;
    let r = upload(
        &app,
        &app.client,
        &format!("/companies/{id}/attachments"),
        "a.pdf",
        b"x".to_vec(),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM attachments"), 0);
}
