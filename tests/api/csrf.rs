use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn state_changing_forms_without_the_right_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.create_user("qian@huaxing.cn", "钱敏", "sales").await;
    let entries = app.query_i64("SELECT count(*) FROM audit_log");
    let status_path = format!("/admin/users/{id}/status");
    let routes: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/login", vec![("email", ADMIN), ("password", PASSWORD)]),
        ("/logout", vec![]),
        (
            "/admin/users/new",
            vec![
                ("email", "x@y.cn"),
                ("name", "X"),
                ("role", "sales"),
                ("password", PASSWORD),
            ],
        ),
        (
            "/admin/settings",
            vec![
                ("name", "Evil"),
                ("currency", "USD"),
                ("time_zone", "UTC"),
                ("language", "en"),
            ],
        ),
        ("/language", vec![("lang", "en")]),
        (
            "/account/password",
            vec![
                ("current", PASSWORD),
                ("password", "new password here"),
                ("confirm", "new password here"),
            ],
        ),
        (&status_path, vec![("action", "disable")]),
        (
            "/companies/new",
            vec![("name", "伪造公司"), ("status", "lead")],
        ),
    ];
    for (path, fields) in &routes {
        let missing = app
            .client
            .post(app.url(path))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(
            missing.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let html = missing.text().await.unwrap();
        assert!(
            html.contains("csrf") || html.contains("expired") || html.contains("过期"),
            "{path}: {html}"
        );

        let mut wrong = fields.clone();
        let bad = "0".repeat(64);
        wrong.push(("csrf", &bad));
        let r = app
            .client
            .post(app.url(path))
            .form(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{path} with a wrong token"
        );

        let token = app.csrf(&app.client).await;
        let mut right = fields.clone();
        right.push(("csrf", &token));
        let r = app
            .client
            .post(app.url(path))
            .header("origin", "http://evil.example")
            .form(&right)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{path} from another origin"
        );
    }
    assert_eq!(
        app.query_i64("SELECT count(*) FROM audit_log"),
        entries,
        "nothing was written"
    );
    assert_eq!(
        app.get(&app.client, "/").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}
