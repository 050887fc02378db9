use crate::helpers::*;
use reqwest::StatusCode;

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kith_session="))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap()
                .trim_start_matches("kith_session=")
                .to_string()
        })
}

fn with_cookie(value: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers({
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("cookie", format!("kith_session={value}").parse().unwrap());
            h
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_session_id_rotates_on_every_sign_in() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let planted = "a".repeat(64);
    let c = client();
    c.get(app.url("/login"))
        .header("cookie", format!("kith_session={planted}"))
        .send()
        .await
        .unwrap();
    let first = session_cookie(&app.login(&c, ADMIN, PASSWORD).await).unwrap();
    let second = session_cookie(&app.login(&client(), ADMIN, PASSWORD).await).unwrap();
    assert_ne!(first, planted);
    assert_ne!(first, second);
    assert_eq!(
        app.get(&with_cookie(&planted), "/").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get(&with_cookie(&first), "/").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let c = client();
    let token = session_cookie(&app.login(&c, ADMIN, PASSWORD).await).unwrap();
    let r = app.post(&c, "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&with_cookie(&token), "/").await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(app.audit_actions().contains(&"logout".to_string()));
}

#[tokio::test]
async fn disabling_a_user_throws_them_out_at_once() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.create_user("sun@huaxing.cn", "孙磊", "sales").await;
    let theirs = app.signed_in("sun@huaxing.cn").await;
    assert_eq!(app.get(&theirs, "/").await.status(), StatusCode::OK);
    app.post(
        &app.client,
        &format!("/admin/users/{id}/status"),
        &[("action", "disable")],
    )
    .await;
    let r = app.get(&theirs, "/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id}"
        )),
        0
    );
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = spawn_app_with(|c| c.session.idle_timeout_minutes = 1).await;
    app.complete_setup().await;
    app.db()
        .execute(
            "UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00.000Z'",
            [],
        )
        .unwrap();
    assert_eq!(
        app.get(&app.client, "/").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM sessions"), 0);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app.login(&client(), ADMIN, PASSWORD).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("kith_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}
