use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn an_admin_creates_a_user_and_the_audit_log_records_it() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("zhou@huaxing.cn", "周杰", "service").await;
    let (_, html) = app.page(&app.client, "/admin/users").await;
    assert!(html.contains("zhou@huaxing.cn"));
    let changes: String = app
        .db()
        .query_row(
            "SELECT changes FROM audit_log WHERE action = 'user.create' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(changes.contains("zhou@huaxing.cn"), "{changes}");
    assert!(
        !changes.contains("argon2"),
        "no password hash in the audit log"
    );
}

#[tokio::test]
async fn a_bad_user_form_keeps_the_input_and_a_taken_email_is_named() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post(
            &app.client,
            "/admin/users/new",
            &[
                ("email", "bad"),
                ("name", "吴刚"),
                ("role", "sales"),
                ("password", "password123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("吴刚") && html.contains("value=\"bad\""));
    let r = app
        .post(
            &app.client,
            "/admin/users/new",
            &[
                ("email", ADMIN),
                ("name", "Dup"),
                ("role", "sales"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("已存在") || html.contains("already exists"),
        "{html}"
    );
}

#[tokio::test]
async fn only_administrators_reach_the_admin_pages() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("rep@huaxing.cn", "Rep", "sales").await;
    let rep = app.signed_in("rep@huaxing.cn").await;
    for path in [
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/admin/settings",
        "/admin/users/1",
    ] {
        assert_eq!(
            app.get(&rep, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let r = app
        .post(
            &rep,
            "/admin/settings",
            &[
                ("name", "Hijack"),
                ("currency", "USD"),
                ("time_zone", "UTC"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(&rep, "/admin/users/1/status", &[("action", "disable")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL"),
        0
    );
}

#[tokio::test]
async fn of_two_concurrent_edits_the_second_is_refused_and_the_first_kept() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.create_user("xu@huaxing.cn", "徐静", "sales").await;
    let other = app.signed_in(ADMIN).await;
    let path = format!("/admin/users/{id}");
    let first = app
        .post(
            &app.client,
            &path,
            &[
                ("name", "徐静 (华北)"),
                ("role", "sales"),
                ("language", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = app
        .post(
            &other,
            &path,
            &[
                ("name", "Xu Jing"),
                ("role", "manager"),
                ("language", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = second.text().await.unwrap();
    assert!(
        html.contains("其他人修改") || html.contains("Someone else changed"),
        "{html}"
    );
    let name: String = app
        .db()
        .query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "徐静 (华北)");
}

#[tokio::test]
async fn the_last_administrator_cannot_be_demoted_or_disabled() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post(
            &app.client,
            "/admin/users/1",
            &[
                ("name", "王芳"),
                ("role", "sales"),
                ("language", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &app.client,
            "/admin/users/1/status",
            &[("action", "disable")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn resetting_a_password_signs_the_user_out() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.create_user("he@huaxing.cn", "何平", "sales").await;
    let theirs = app.signed_in("he@huaxing.cn").await;
    let r = app
        .post(
            &app.client,
            &format!("/admin/users/{id}/password"),
            &[("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&theirs, "/").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.login(&client(), "he@huaxing.cn", "a brand new passphrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_ones_own_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let elsewhere = app.signed_in(ADMIN).await;
    let bad = [
        ("current", "not it at all"),
        ("password", "password123"),
        ("confirm", "different"),
    ];
    let r = app.post(&app.client, "/account/password", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.matches("field-error").count() >= 2, "{html}");
    let good = [
        ("current", PASSWORD),
        ("password", "river stones and moss"),
        ("confirm", "river stones and moss"),
    ];
    let r = app.post(&app.client, "/account/password", &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&app.client, "/").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        app.get(&elsewhere, "/").await.status(),
        StatusCode::SEE_OTHER,
        "the other one ends"
    );
    assert!(
        app.audit_actions()
            .contains(&"user.password_change".to_string())
    );
}
