//! First run: the one-time setup link creates the administrator and the company.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn before_setup_the_start_page_redirects_to_sign_in() {
    // Arrange
    let app = spawn_app().await;

    // Act
    let r = app.get("/").await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2F");
}

#[tokio::test]
async fn the_sign_in_page_says_setup_is_pending_until_it_is_done() {
    let app = spawn_app().await;

    let (status, before) = app.get_html("/login").await;
    app.complete_setup().await;
    let (_, after) = app.get_html_as(&app.new_client(), "/login").await;

    assert_eq!(status, StatusCode::OK);
    assert!(before.contains(&text("login.setup_pending")), "{before}");
    assert!(!after.contains(&text("login.setup_pending")), "{after}");
}

#[tokio::test]
async fn setup_link_works_once_and_only_once() {
    // Arrange
    let app = spawn_app().await;
    let path = format!("/setup/{}", app.setup_token());

    // Act
    let (form_status, form) = app.get_html(&path).await;
    let users_before = app.query_i64("SELECT count(*) FROM users");
    let r = app.complete_setup().await;
    let (home_status, home) = app.get_html("/").await;
    let get_again = app.get_as(&app.new_client(), &path).await.status();
    let post_again = app
        .post_form(&app.new_client(), &path, &app.setup_fields())
        .await
        .status();

    // Assert
    assert_eq!(form_status, StatusCode::OK);
    assert!(form.contains(&format!("action=\"{path}\"")), "{form}");
    assert_eq!(users_before, 0, "no user exists before setup");
    assert_eq!(location(&r), "/?notice=welcome");
    assert!(cookie_value(&r, "kith_session").is_some_and(|v| !v.is_empty()));
    assert_eq!(
        home_status,
        StatusCode::OK,
        "the administrator is signed in"
    );
    assert!(
        home.contains(ADMIN_NAME) && home.contains(COMPANY),
        "{home}"
    );
    assert_eq!(get_again, StatusCode::NOT_FOUND);
    assert_eq!(post_again, StatusCode::NOT_FOUND);
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 1);
    assert_eq!(
        app.query_string("SELECT email || ' ' || role FROM users"),
        format!("{ADMIN_EMAIL} admin")
    );
    assert_eq!(
        app.query_string(
            "SELECT name || ' ' || currency || ' ' || time_zone || ' ' || language
             FROM company_profile"
        ),
        format!("{COMPANY} CNY Asia/Shanghai zh-CN")
    );
    assert!(app.state.setup.token().is_none());
}

#[tokio::test]
async fn setup_is_audited_as_done_by_the_setup_link() {
    let app = spawn_app().await;

    app.complete_setup().await;

    let actions = app.audit_actions();
    for a in ["user.create", "settings.create", "setup.complete"] {
        assert!(actions.contains(&a.to_string()), "{a} missing: {actions:?}");
    }
    assert_eq!(
        app.query_i64(
            "SELECT count(*) FROM audit_log WHERE actor <> 'setup' OR actor_id IS NOT NULL"
        ),
        0,
        "every setup entry is by the setup link, not by a user"
    );
}

#[tokio::test]
async fn a_wrong_setup_token_is_not_found() {
    let app = spawn_app().await;
    let real = app.setup_token();
    let wrong = format!("/setup/{}", "0".repeat(real.len()));

    let get = app.get(&wrong).await.status();
    let post = app
        .post_form(&app.client, &wrong, &app.setup_fields())
        .await
        .status();

    assert_eq!(get, StatusCode::NOT_FOUND);
    assert_eq!(post, StatusCode::NOT_FOUND);
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 0);
    assert_eq!(app.setup_token(), real, "the real link still works");
}

#[tokio::test]
async fn a_setup_form_with_errors_comes_back_with_the_input_kept_and_the_fields_marked() {
    // Arrange
    let app = spawn_app().await;
    let path = format!("/setup/{}", app.setup_token());
    let mut fields = app.setup_fields();
    for (k, v) in fields.iter_mut() {
        match *k {
            "name" => *v = "",
            "admin_name" => *v = "Zhang Wei 张伟",
            "admin_email" => *v = "zhang.wei@",
            "password" | "confirm" => *v = "short",
            _ => {}
        }
    }

    // Act
    let r = app.post_form(&app.client, &path, &fields).await;
    let status = r.status();
    let html = r.text().await.unwrap();

    // Assert
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"Zhang Wei 张伟\""), "{html}");
    assert!(html.contains("value=\"zhang.wei@\""), "{html}");
    let marked = marked_fields(&html);
    for f in ["name", "admin_email", "password"] {
        assert!(
            marked.contains(&f.to_string()),
            "{f} not marked: {marked:?}"
        );
    }
    assert!(!marked.contains(&"admin_name".to_string()), "{marked:?}");
    assert!(html.contains(&text("settings.error.name")), "{html}");
    assert!(html.contains(&text("users.error.email")), "{html}");
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 0);
    assert_eq!(app.query_i64("SELECT count(*) FROM company_profile"), 0);
    assert_eq!(app.query_i64("SELECT count(*) FROM audit_log"), 0);
    assert!(app.state.setup.token().is_some(), "the link still works");
}

#[tokio::test]
async fn a_setup_form_with_a_bad_email_keeps_the_company_name() {
    let app = spawn_app().await;
    let path = format!("/setup/{}", app.setup_token());
    let fields: Vec<_> = app
        .setup_fields()
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                if k == "admin_email" {
                    "wang at huaxing"
                } else {
                    v
                },
            )
        })
        .collect();

    let r = app.post_form(&app.client, &path, &fields).await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&format!("value=\"{COMPANY}\"")), "{html}");
    assert_eq!(marked_fields(&html), vec!["admin_email".to_string()]);
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn setup_needs_the_password_twice_the_same() {
    let app = spawn_app().await;
    let path = format!("/setup/{}", app.setup_token());
    let fields: Vec<_> = app
        .setup_fields()
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                if k == "confirm" {
                    "plum blossoms in summer"
                } else {
                    v
                },
            )
        })
        .collect();

    let r = app.post_form(&app.client, &path, &fields).await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(marked_fields(&html), vec!["confirm".to_string()]);
    assert!(html.contains(&text("account.error.confirm")), "{html}");
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 0);
}
