use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_render_in_the_browsers_language() {
    let app = spawn_app().await;
    let zh = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    let zh = zh.text().await.unwrap();
    assert!(zh.contains("lang=\"zh-CN\"") && zh.contains("登录"));
    let en = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let en = en.text().await.unwrap();
    assert!(en.contains("lang=\"en\"") && en.contains("Sign in"));
}

#[tokio::test]
async fn the_language_switch_is_remembered_for_the_user() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post(
            &app.client,
            "/language",
            &[("lang", "en"), ("next", "/account")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account");
    let html = app
        .client
        .get(app.url("/account"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("My account"), "the choice beats the browser");
    let lang: String = app
        .db()
        .query_row("SELECT language FROM users WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lang, "en");
    assert!(app.audit_actions().contains(&"user.update".to_string()));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_page_with_the_request_id() {
    let app = spawn_app().await;
    let r = app.get(&app.client, "/no/such/page").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains(&id));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/login", "/healthz", "/nope"] {
        let r = app.get(&app.client, path).await;
        let h = r.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h.contains_key("x-frame-options") && h.contains_key("referrer-policy"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn static_files_are_cached_by_content_hash_and_compressed() {
    let app = spawn_app().await;
    let html = app.page(&app.client, "/login").await.1;
    let href = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(href.contains("?v="), "{href}");
    let r = app.get(&app.client, &href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url(&href))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let gz = app
        .client
        .get(app.url(&href))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn healthz_reports_the_database_and_schema() {
    let app = spawn_app().await;
    let r = app.get(&app.client, "/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(
        body["checks"]["schema"]["version"],
        kith::db::LATEST_VERSION
    );
}

#[tokio::test]
async fn an_oversized_form_is_refused_with_413() {
    let app = spawn_app().await;
    let big = "a".repeat(200 * 1024);
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("email", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
