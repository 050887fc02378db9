use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn before_setup_every_page_leads_to_sign_in_which_says_setup_is_pending() {
    let app = spawn_app().await;
    let r = app.get(&app.client, "/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2F");
    let (_, html) = app.page(&app.client, "/login").await;
    assert!(
        html.contains("flash-info"),
        "the setup hint is shown: {html}"
    );
}

#[tokio::test]
async fn setup_link_works_once_and_only_once() {
    let app = spawn_app().await;
    let token = app.setup_token();
    let path = format!("/setup/{token}");
    assert_eq!(app.page(&app.client, &path).await.0, StatusCode::OK);

    app.complete_setup().await;

    let (status, html) = app.page(&app.client, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("王芳"));
    assert_eq!(
        app.query_i64("SELECT count(*) FROM users WHERE role = 'admin'"),
        1
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM company_profile"), 1);
    assert_eq!(app.page(&app.client, &path).await.0, StatusCode::NOT_FOUND);
    let again = app.post(&app.client, &path, &app.setup_form()).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert!(app.state.setup.token().is_none());
    let actions = app.audit_actions();
    for a in ["user.create", "settings.create", "setup.complete"] {
        assert!(
            actions.contains(&a.to_string()),
            "{a} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_wrong_setup_token_is_not_found() {
    let app = spawn_app().await;
    assert_eq!(
        app.page(&app.client, "/setup/nonsense").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_setup_form_with_errors_comes_back_with_the_input_kept_and_fields_marked() {
    let app = spawn_app().await;
    let path = format!("/setup/{}", app.setup_token());
    let r = app
        .post(
            &app.client,
            &path,
            &[
                ("name", ""),
                ("currency", "CNY"),
                ("time_zone", "Asia/Shanghai"),
                ("language", "en"),
                ("admin_name", "Zhang Wei 张伟"),
                ("admin_email", "not-an-email"),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Zhang Wei 张伟"));
    assert!(html.contains("not-an-email"));
    assert!(html.matches("has-error").count() >= 3, "{html}");
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 0);
    assert!(
        app.state.setup.token().is_some(),
        "the link still works after a failed attempt"
    );
}
