//! Users: the admin pages, roles, concurrent edits, the last administrator, passwords.

use crate::helpers::*;
use reqwest::StatusCode;

const NEW_PASSWORD: &str = "river stones and green moss";

fn user_row(app: &TestApp, id: i64) -> String {
    app.db()
        .query_row(
            "SELECT name || '|' || role || '|' || coalesce(disabled_at, 'active') || '|' ||
                    version || '|' || password_hash
             FROM users WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_then_appears_in_the_list() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;

    // Act
    let r = app
        .post_form(
            &app.client,
            "/admin/users/new",
            &[
                ("email", "Zhou.Jie@HuaXing.cn"),
                ("name", "周杰"),
                ("role", "service"),
                ("language", "en"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let (status, list) = app.get_html("/admin/users").await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/admin/users?notice=user_created");
    let id = app.user_id("zhou.jie@huaxing.cn");
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("zhou.jie@huaxing.cn") && list.contains("周杰"));
    assert!(
        list.contains(&format!("href=\"/admin/users/{id}\"")),
        "{list}"
    );
    assert_eq!(
        app.query_string(&format!(
            "SELECT role || ' ' || language FROM users WHERE id = {id}"
        )),
        "service en"
    );
    let changes = app.latest_changes("user.create");
    assert!(
        changes.contains(r#""after":"zhou.jie@huaxing.cn""#)
            && changes.contains(r#""after":"service""#),
        "{changes}"
    );
    assert!(
        !changes.contains("argon2"),
        "no password hash in the audit log"
    );
    assert!(!changes.contains(PASSWORD), "no password in the audit log");
    let admin = app.user_id(ADMIN_EMAIL);
    assert_eq!(
        app.audit_ids_where(&format!(
            "action = 'user.create' AND actor_id = {admin} AND entity_id = '{id}'"
        ))
        .len(),
        1
    );
}

#[tokio::test]
async fn an_invalid_user_form_comes_back_with_the_input_kept_and_the_fields_marked() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let r = app
        .post_form(
            &app.client,
            "/admin/users/new",
            &[
                ("email", "wu.gang@"),
                ("name", "吴刚"),
                ("role", "sales"),
                ("language", ""),
                ("password", "password123"),
            ],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"吴刚\"") && html.contains("value=\"wu.gang@\""));
    let mut marked = marked_fields(&html);
    marked.sort();
    assert_eq!(marked, vec!["email".to_string(), "password".to_string()]);
    assert!(html.contains(&text("password.common")), "{html}");
    assert!(!html.contains("password123"), "the password is not echoed");
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 1);
}

#[tokio::test]
async fn a_user_with_an_email_that_already_exists_is_refused() {
    let app = spawn_app().await;
    app.complete_setup().await;

    let r = app
        .post_form(
            &app.client,
            "/admin/users/new",
            &[
                ("email", &ADMIN_EMAIL.to_uppercase()),
                ("name", "Another Wang"),
                ("role", "sales"),
                ("language", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&text("users.error.email_taken")), "{html}");
    assert!(html.contains("value=\"Another Wang\""));
    assert_eq!(marked_fields(&html), vec!["email".to_string()]);
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 1);
}

#[tokio::test]
async fn a_sales_user_cannot_reach_the_admin_pages() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let rep = app
        .create_user("rep@huaxing.cn", "Rep", "sales", PASSWORD)
        .await;
    let browser = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let before = (
        user_row(&app, 1),
        user_row(&app, rep),
        app.audit_actions().len(),
    );
    let token = app.csrf(&browser).await;

    // Act
    let mut answers = Vec::new();
    for path in [
        "/admin/users",
        "/admin/users/new",
        "/admin/users/1",
        "/admin/audit",
        "/admin/settings",
    ] {
        answers.push((
            format!("GET {path}"),
            app.get_as(&browser, path).await.status(),
        ));
    }
    let settings = [
        ("name", "Hijacked"),
        ("currency", "USD"),
        ("time_zone", "UTC"),
        ("language", "en"),
    ];
    let promote = [("name", "Rep"), ("role", "admin"), ("version", "1")];
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/settings".into(), settings.to_vec()),
        (
            "/admin/users/new".into(),
            vec![
                ("email", "mole@huaxing.cn"),
                ("name", "Mole"),
                ("role", "admin"),
                ("password", PASSWORD),
            ],
        ),
        (format!("/admin/users/{rep}"), promote.to_vec()),
        ("/admin/users/1/status".into(), vec![("action", "disable")]),
        (
            "/admin/users/1/password".into(),
            vec![("password", NEW_PASSWORD)],
        ),
    ];
    for (path, fields) in &posts {
        let r = app.post_form_with(&browser, path, fields, &token).await;
        answers.push((format!("POST {path}"), r.status()));
    }

    // Assert
    for (what, status) in &answers {
        assert_eq!(*status, StatusCode::FORBIDDEN, "{what}");
    }
    assert_eq!(
        (
            user_row(&app, 1),
            user_row(&app, rep),
            app.audit_actions().len()
        ),
        before
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM users"), 2);
    assert_eq!(
        app.query_string("SELECT name FROM company_profile"),
        COMPANY
    );
}

#[tokio::test]
async fn of_two_admins_editing_a_user_at_once_the_second_is_told_and_the_first_kept() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("li.qiang@huaxing.cn", "李强", "admin", PASSWORD)
        .await;
    let id = app
        .create_user("xu.jing@huaxing.cn", "徐静", "sales", PASSWORD)
        .await;
    let other_admin = app.signed_in_client("li.qiang@huaxing.cn", PASSWORD).await;
    let path = format!("/admin/users/{id}");
    let (_, mine) = app.get_html(&path).await;
    let (_, theirs) = app.get_html_as(&other_admin, &path).await;
    let (my_version, their_version) = (
        input_value(&mine, "version"),
        input_value(&theirs, "version"),
    );

    // Act
    let first = app
        .post_form(
            &app.client,
            &path,
            &[
                ("name", "徐静 (华北)"),
                ("role", "manager"),
                ("language", ""),
                ("version", &my_version),
            ],
        )
        .await;
    let second = app
        .post_form(
            &other_admin,
            &path,
            &[
                ("name", "Xu Jing"),
                ("role", "viewer"),
                ("language", "en"),
                ("version", &their_version),
            ],
        )
        .await;
    let second_status = second.status();
    let html = second.text().await.unwrap();

    // Assert
    assert_eq!(my_version, their_version);
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&text("users.error.changed")), "{html}");
    assert!(
        html.contains("value=\"徐静 (华北)\""),
        "the form shows the saved version"
    );
    let newer: i64 = my_version.parse::<i64>().unwrap() + 1;
    assert_eq!(input_value(&html, "version"), newer.to_string());
    assert_eq!(
        app.query_string(&format!(
            "SELECT name || ' ' || role || ' ' || coalesce(language, '-') FROM users WHERE id = {id}"
        )),
        "徐静 (华北) manager -"
    );
    assert_eq!(
        app.audit_ids_where(&format!("action = 'user.update' AND entity_id = '{id}'"))
            .len(),
        1
    );
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_demoted() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app.user_id(ADMIN_EMAIL);
    let before = user_row(&app, id);

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{id}"),
            &[
                ("name", ADMIN_NAME),
                ("role", "sales"),
                ("language", ""),
                ("version", "1"),
            ],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&text("users.error.last_admin")), "{html}");
    assert_eq!(user_row(&app, id), before);
}

#[tokio::test]
async fn an_admin_can_be_demoted_while_another_admin_remains() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("li.qiang@huaxing.cn", "李强", "admin", PASSWORD)
        .await;

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{id}"),
            &[
                ("name", "李强"),
                ("role", "manager"),
                ("language", ""),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_string(&format!("SELECT role FROM users WHERE id = {id}")),
        "manager"
    );
}

#[tokio::test]
async fn an_admin_cannot_disable_themself() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("li.qiang@huaxing.cn", "李强", "admin", PASSWORD)
        .await;
    let me = app.user_id(ADMIN_EMAIL);

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{me}/status"),
            &[("action", "disable")],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&text("users.error.disable_self")), "{html}");
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM users WHERE id = {me} AND disabled_at IS NULL"
        )),
        1
    );
    assert_eq!(
        app.get("/").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn a_disabled_user_can_be_enabled_and_sign_in_again() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("he.ping@huaxing.cn", "何平", "sales", PASSWORD)
        .await;
    let status = format!("/admin/users/{id}/status");
    app.post_form(&app.client, &status, &[("action", "disable")])
        .await;

    let r = app
        .post_form(&app.client, &status, &[("action", "enable")])
        .await;
    let login = app
        .login(&app.new_client(), "he.ping@huaxing.cn", PASSWORD)
        .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/admin/users/{id}?notice=user_enabled")
    );
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions();
    assert!(actions.contains(&"user.disable".to_string()));
    assert!(actions.contains(&"user.enable".to_string()));
}

#[tokio::test]
async fn resetting_a_password_signs_the_user_out_everywhere() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("he.ping@huaxing.cn", "何平", "sales", PASSWORD)
        .await;
    let theirs = app.signed_in_client("he.ping@huaxing.cn", PASSWORD).await;

    // Act
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{id}/password"),
            &[("password", NEW_PASSWORD)],
        )
        .await;
    let after = app.get_as(&theirs, "/").await;
    let login = app
        .login(&app.new_client(), "he.ping@huaxing.cn", NEW_PASSWORD)
        .await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/admin/users/{id}?notice=password_reset")
    );
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(location(&after).starts_with("/login"));
    assert_eq!(
        login.status(),
        StatusCode::SEE_OTHER,
        "the new password works"
    );
    let changes = app.latest_changes("user.password_change");
    assert!(
        !changes.contains(NEW_PASSWORD) && !changes.contains("argon2"),
        "{changes}"
    );
}

#[tokio::test]
async fn changing_ones_own_password_needs_the_current_one() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let before = user_row(&app, 1);

    let r = app
        .post_form(
            &app.client,
            "/account/password",
            &[
                ("current", "not my password at all"),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(marked_fields(&html), vec!["current".to_string()]);
    assert!(html.contains(&text("account.error.current")), "{html}");
    assert_eq!(user_row(&app, 1), before, "the password is unchanged");
}

#[tokio::test]
async fn a_common_or_mistyped_new_password_is_refused() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let before = user_row(&app, 1);
    let token = app.csrf(&app.client).await;

    let common = app
        .post_form_with(
            &app.client,
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", "password123"),
                ("confirm", "password123"),
            ],
            &token,
        )
        .await;
    let common_status = common.status();
    let common = common.text().await.unwrap();
    let mistyped = app
        .post_form_with(
            &app.client,
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", NEW_PASSWORD),
                ("confirm", "river stones and grey moss"),
            ],
            &token,
        )
        .await;
    let mistyped_status = mistyped.status();
    let mistyped = mistyped.text().await.unwrap();

    assert_eq!(common_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(marked_fields(&common), vec!["password".to_string()]);
    assert!(common.contains(&text("password.common")), "{common}");
    assert_eq!(mistyped_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(marked_fields(&mistyped), vec!["confirm".to_string()]);
    assert!(
        mistyped.contains(&text("account.error.confirm")),
        "{mistyped}"
    );
    assert_eq!(user_row(&app, 1), before, "the password is unchanged");
}

#[tokio::test]
async fn changing_ones_own_password_keeps_this_session_and_ends_the_others() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let elsewhere = app.signed_in_client(ADMIN_EMAIL, PASSWORD).await;

    // Act
    let r = app
        .post_form(
            &app.client,
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    let here = app.get("/").await.status();
    let there = app.get_as(&elsewhere, "/").await.status();
    let with_new = app
        .login(&app.new_client(), ADMIN_EMAIL, NEW_PASSWORD)
        .await
        .status();

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/account?notice=password_changed");
    assert_eq!(here, StatusCode::OK, "this session stays");
    assert_eq!(there, StatusCode::SEE_OTHER, "the other one ends");
    assert_eq!(with_new, StatusCode::SEE_OTHER, "the new password works");
    assert!(
        app.latest_changes("user.password_change")
            .contains(r#"{"field":"sessions_ended","before":0,"after":1}"#),
        "{}",
        app.latest_changes("user.password_change")
    );
}

#[tokio::test]
async fn a_demoted_admin_loses_the_admin_pages_at_once() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("li.qiang@huaxing.cn", "李强", "admin", PASSWORD)
        .await;
    let theirs = app.signed_in_client("li.qiang@huaxing.cn", PASSWORD).await;
    let before = app.get_as(&theirs, "/admin/users").await.status();

    app.post_form(
        &app.client,
        &format!("/admin/users/{id}"),
        &[
            ("name", "李强"),
            ("role", "sales"),
            ("language", ""),
            ("version", "1"),
        ],
    )
    .await;
    let after = app.get_as(&theirs, "/admin/users").await.status();

    assert_eq!(before, StatusCode::OK);
    assert_eq!(after, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn resetting_a_password_to_a_common_one_is_refused_and_keeps_the_user_signed_in() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = app
        .create_user("he.ping@huaxing.cn", "何平", "sales", PASSWORD)
        .await;
    let theirs = app.signed_in_client("he.ping@huaxing.cn", PASSWORD).await;
    let before = user_row(&app, id);

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{id}/password"),
            &[("password", "password123")],
        )
        .await;
    let status = r.status();
    let html = r.text().await.unwrap();

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(&text("password.common")), "{html}");
    assert_eq!(user_row(&app, id), before);
    assert_eq!(app.get_as(&theirs, "/").await.status(), StatusCode::OK);
}
