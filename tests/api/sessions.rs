//! Server-side sessions: new ids on sign-in, sign-out, disabling, expiry.

use crate::helpers::*;
use reqwest::StatusCode;

/// `GET path` from a browser that holds nothing but this session cookie.
async fn get_with_session(app: &TestApp, path: &str, session: &str) -> reqwest::Response {
    bare_client()
        .get(app.url(path))
        .header("cookie", format!("kith_session={session}"))
        .send()
        .await
        .unwrap()
}

fn sessions_with_token(app: &TestApp, token: &str) -> i64 {
    app.db()
        .query_row(
            "SELECT count(*) FROM sessions WHERE token_hash = ?1",
            [kith::auth::token_hash(token)],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn a_session_id_planted_before_sign_in_is_replaced_and_useless() {
    // Arrange: an attacker has put a session cookie of their choosing into the browser.
    let app = spawn_app().await;
    app.complete_setup().await;
    let browser = bare_client();
    let r = browser.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = cookie_value(&r, "kith_csrf").unwrap();
    let token = csrf_from(&r.text().await.unwrap());
    let planted = format!("attacker{}", "5".repeat(56));

    // Act
    let r = browser
        .post(app.url("/login"))
        .header(
            "cookie",
            format!("kith_csrf={csrf_cookie}; kith_session={planted}"),
        )
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", PASSWORD),
            ("next", "/"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    let issued = cookie_value(&r, "kith_session");
    let with_planted = get_with_session(&app, "/", &planted).await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let issued = issued.expect("a session cookie is set");
    assert_ne!(issued, planted);
    assert_eq!(with_planted.status(), StatusCode::SEE_OTHER);
    assert!(location(&with_planted).starts_with("/login"));
    assert_eq!(
        get_with_session(&app, "/", &issued).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_in_again_replaces_the_browsers_session() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let browser = app.new_client();

    let first = app.login(&browser, ADMIN_EMAIL, PASSWORD).await;
    let first = cookie_value(&first, "kith_session").unwrap();
    let second = app.login(&browser, ADMIN_EMAIL, PASSWORD).await;
    let second = cookie_value(&second, "kith_session").unwrap();

    assert_ne!(first, second);
    assert_eq!(sessions_with_token(&app, &first), 0, "the old one is ended");
    assert_eq!(
        get_with_session(&app, "/", &first).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get_with_session(&app, "/", &second).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn each_sign_in_gets_its_own_session_id() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let a = app.login(&app.new_client(), ADMIN_EMAIL, PASSWORD).await;
    let b = app.login(&app.new_client(), ADMIN_EMAIL, PASSWORD).await;

    let (a, b) = (
        cookie_value(&a, "kith_session").unwrap(),
        cookie_value(&b, "kith_session").unwrap(),
    );
    assert_ne!(a, b);
    assert_eq!(
        get_with_session(&app, "/", &a).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get_with_session(&app, "/", &b).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let browser = app.new_client();
    let r = app.login(&browser, ADMIN_EMAIL, PASSWORD).await;
    let token = cookie_value(&r, "kith_session").unwrap();

    // Act
    let r = app.post_form(&browser, "/logout", &[]).await;
    let replayed = get_with_session(&app, "/", &token).await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    let removal = set_cookie(&r, "kith_session").unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(replayed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replayed), "/login?next=%2F");
    assert_eq!(sessions_with_token(&app, &token), 0);
    let admin = app.user_id(ADMIN_EMAIL);
    assert_eq!(
        app.audit_ids_where(&format!("action = 'logout' AND actor_id = {admin}"))
            .len(),
        1
    );
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "the other browser stays signed in"
    );
}

#[tokio::test]
async fn disabling_a_user_signs_them_out_at_once() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("sun.lei@huaxing.cn", "孙磊", "sales", PASSWORD)
        .await;
    let theirs = app.signed_in_client("sun.lei@huaxing.cn", PASSWORD).await;
    assert_eq!(
        app.get_as(&theirs, "/account").await.status(),
        StatusCode::OK
    );

    // Act
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{id}/status"),
            &[("action", "disable")],
        )
        .await;
    let next = app.get_as(&theirs, "/account").await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(next.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&next), "/login?next=%2Faccount");
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id}"
        )),
        0
    );
    assert!(
        app.latest_changes("user.disable")
            .contains(r#"{"field":"sessions_ended","before":0,"after":1}"#),
        "{}",
        app.latest_changes("user.disable")
    );
}

#[tokio::test]
async fn an_idle_session_expires_and_its_row_is_removed() {
    // Arrange
    let app = spawn_app_with(|c| c.session.idle_timeout_minutes = 1).await;
    app.complete_setup().await;
    let back_date = |by: &str| {
        app.db()
            .execute(
                "UPDATE sessions SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
                [by],
            )
            .unwrap();
    };

    // Act
    back_date("-30 seconds");
    let recent = app.get("/").await.status();
    back_date("-2 minutes");
    let idle = app.get("/").await;

    // Assert
    assert_eq!(recent, StatusCode::OK, "30 s idle is within the timeout");
    assert_eq!(idle.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&idle), "/login?next=%2F");
    assert_eq!(app.query_i64("SELECT count(*) FROM sessions"), 0);
}

#[tokio::test]
async fn a_session_ends_after_its_maximum_lifetime_however_active() {
    let app = spawn_app_with(|c| c.session.max_lifetime_hours = 1).await;
    app.complete_setup().await;
    app.db()
        .execute(
            "UPDATE sessions SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours')",
            [],
        )
        .unwrap();

    let r = app.get("/").await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM sessions"), 0);
}

// Product bug: when a session has expired (or was ended) the session middleware asks the
// browser to drop the cookie (src/auth/session.rs, `load`, `removal(SESSION_COOKIE, ..)`),
// but when the answer is a redirect to sign-in or an error page that cookie is lost:
// src/web/middleware.rs, `render_error`, replaces the response with a new one
// (`res.into_response(response)`) and drops the Set-Cookie headers already on it. The same
// happens to a new visitor's `kith_csrf` cookie on such answers.
#[tokio::test]
async fn an_expired_session_cookie_is_removed_from_the_browser() {
    let app = spawn_app_with(|c| c.session.idle_timeout_minutes = 1).await;
    app.complete_setup().await;
    app.db()
        .execute(
            "UPDATE sessions SET last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 minutes')",
            [],
        )
        .unwrap();

    let r = app.get("/").await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let removal = set_cookie(&r, "kith_session");
    assert!(
        removal.as_deref().is_some_and(|c| c.contains("Max-Age=0")),
        "the browser is told to forget the cookie: {:?}",
        r.headers()
    );
}
