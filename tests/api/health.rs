//! `GET /healthz`: for monitoring, without signing in.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_reports_ok_with_the_schema_version() {
    let app = spawn_app().await;

    let r = app.get("/healthz").await;
    let status = r.status();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    let body: serde_json::Value = r.json().await.unwrap();

    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["schema"]["ok"], true);
    assert_eq!(
        body["checks"]["schema"]["version"],
        kith::db::LATEST_VERSION
    );
    assert_eq!(
        body["checks"]["schema"]["expected"],
        kith::db::LATEST_VERSION
    );
    assert_eq!(body["failing"], serde_json::Value::Null);
}

#[tokio::test]
async fn healthz_needs_no_sign_in_and_sets_no_cookie() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let r = bare_client().get(app.url("/healthz")).send().await.unwrap();

    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn healthz_reports_a_schema_it_does_not_know_as_unhealthy() {
    let app = spawn_app().await;
    app.db().pragma_update(None, "user_version", 99).unwrap();

    let r = app.get("/healthz").await;
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["failing"], "schema");
    assert_eq!(body["checks"]["schema"]["version"], 99);
    assert_eq!(body["checks"]["database"]["ok"], true);
}
