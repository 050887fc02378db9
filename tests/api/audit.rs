use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_audit_page_filters_and_pages_newest_first() {
    let app = spawn_app().await;
    app.complete_setup().await;
    for i in 0..3 {
        app.login(&client(), ADMIN, &format!("wrong password {i}"))
            .await;
    }
    for i in 0..55 {
        let name = format!("客户公司 {i}");
        let r = app
            .post(
                &app.client,
                "/companies/new",
                &[("name", &name), ("status", "lead")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (status, html) = app
        .page(&app.client, "/admin/audit?action=login.failed")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches("<tr>").count(),
        3 + 1,
        "three entries and the header"
    );

    let first = app
        .page(&app.client, "/admin/audit")
        .await
        .1
        .replace("&#x2f;", "/");
    assert!(first.contains("客户公司 54"));
    let next = first
        .split("href=\"/admin/audit?")
        .find(|s| s.contains("before="))
        .expect("an Older link");
    let next = next.split('"').next().unwrap().replace("&amp;", "&");
    let (_, second) = app.page(&app.client, &format!("/admin/audit?{next}")).await;
    assert!(second.contains("客户公司 0"));
    assert!(!second.contains("客户公司 54"));

    let today = chrono::Utc::now().format("%Y-%m-%d");
    let (_, html) = app
        .page(&app.client, "/admin/audit?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(html.contains("class=\"empty\""));
    let (_, html) = app
        .page(
            &app.client,
            &format!("/admin/audit?action=setup.complete&from={today}"),
        )
        .await;
    assert_eq!(html.matches("<tr>").count(), 2, "{today}");
    let (_, html) = app.page(&app.client, "/admin/audit?actor=system").await;
    assert!(
        !html.contains("客户公司 1"),
        "entries by people are left out"
    );
    assert!(
        html.contains("badge-action"),
        "the system's own entries are listed"
    );
}

#[tokio::test]
async fn every_audit_entry_names_actor_ip_and_request_id() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let missing = app.query_i64(
        "SELECT count(*) FROM audit_log WHERE ip IS NULL OR request_id IS NULL OR actor = ''",
    );
    assert_eq!(missing, 0);
}
