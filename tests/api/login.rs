use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_right_password_signs_in_and_the_wrong_one_does_not() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("li@huaxing.cn", "李娜", "sales").await;

    let fresh = client();
    let r = app
        .login(&fresh, "li@huaxing.cn", "wrong password here")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("kith_session="))
    );
    assert_eq!(app.get(&fresh, "/").await.status(), StatusCode::SEE_OTHER);

    let r = app.login(&fresh, "LI@huaxing.cn", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.page(&fresh, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("李娜"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"login.failed".to_string()));
    assert!(actions.contains(&"login.success".to_string()));
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_as_a_wrong_password() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let a = app.login(&client(), ADMIN, "not the password!").await;
    let b = app
        .login(&client(), "nobody@huaxing.cn", "not the password!")
        .await;
    assert_eq!(a.status(), b.status());
    let message = |html: String| {
        html.split("flash-error")
            .nth(1)
            .map(|s| s[..120.min(s.len())].to_string())
    };
    assert_eq!(
        message(a.text().await.unwrap()),
        message(b.text().await.unwrap())
    );
}

#[tokio::test]
async fn repeated_failures_pause_sign_in_for_that_account_even_with_the_right_password() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let c = client();
    for _ in 0..5 {
        assert_eq!(
            app.login(&c, ADMIN, "wrong wrong wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app.login(&c, ADMIN, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = r.text().await.unwrap();
    assert!(html.contains("minutes") || html.contains("分钟"), "{html}");
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.create_user("zhao@huaxing.cn", "赵强", "sales").await;
    let r = app
        .post(
            &app.client,
            &format!("/admin/users/{id}/status"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.login(&client(), "zhao@huaxing.cn", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}
