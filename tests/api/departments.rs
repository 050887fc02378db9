//! Departments: the tree, placing people under managers, and the refusals that keep the
//! structure sound.

use crate::helpers::*;
use reqwest::StatusCode;

async fn add(app: &TestApp, name: &str, parent: Option<i64>) -> reqwest::Response {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    app.post_form(
        &app.client,
        "/admin/departments",
        &[("name", name), ("parent_id", &parent)],
    )
    .await
}

fn dept_id(app: &TestApp, name: &str) -> i64 {
    app.query_i64(&format!("SELECT id FROM departments WHERE name = '{name}'"))
}

#[tokio::test]
async fn administrators_build_the_tree_and_place_people_in_it() {
    let app = spawn_app().await;
    app.complete_setup().await;
    assert_eq!(
        add(&app, "销售部", None).await.status(),
        StatusCode::SEE_OTHER
    );
    let sales = dept_id(&app, "销售部");
    assert_eq!(
        add(&app, "华北区", Some(sales)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        add(&app, "华东区", Some(sales)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        add(&app, "客服部", None).await.status(),
        StatusCode::SEE_OTHER
    );
    let north = dept_id(&app, "华北区");

    let manager = app
        .create_user("li@huaxing.cn", "李经理", "manager", PASSWORD)
        .await;
    let rep = app
        .create_user("zhao@huaxing.cn", "赵销售", "sales", PASSWORD)
        .await;
    let r = app
        .post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &manager.to_string()),
                ("department_id", &sales.to_string()),
                ("manager_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &rep.to_string()),
                ("department_id", &north.to_string()),
                ("manager_id", &manager.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64(&format!("SELECT manager_id FROM users WHERE id = {rep}")),
        manager
    );
    let changes = app.latest_changes("user.place");
    assert!(
        changes.contains("华北区") && changes.contains("李经理"),
        "{changes}"
    );

    let (status, html) = app.get_html("/admin/departments").await;
    assert_eq!(status, StatusCode::OK);
    // Children are listed under their parent, with their people and reporting lines.
    let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("销售部") < pos("华东区") && pos("华东区") < pos("华北区"));
    assert!(pos("华北区") < pos("赵销售"));
    assert!(html.contains(&escape(
        &text("departments.reports_to").replace("{name}", "李经理")
    )));

    // Renaming and moving are audited with before and after.
    let version = app.query_i64(&format!(
        "SELECT version FROM departments WHERE id = {north}"
    ));
    let cs = dept_id(&app, "客服部");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/departments/{north}"),
            &[
                ("name", "华北大区"),
                ("parent_id", &cs.to_string()),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let changes = app.latest_changes("department.update");
    assert!(
        changes.contains("华北区") && changes.contains("华北大区") && changes.contains("客服部"),
        "{changes}"
    );
}

#[tokio::test]
async fn loops_duplicates_and_non_empty_deletes_are_refused_with_the_input_kept() {
    let app = spawn_app().await;
    app.complete_setup().await;
    add(&app, "销售部", None).await;
    let sales = dept_id(&app, "销售部");
    add(&app, "华北区", Some(sales)).await;
    let north = dept_id(&app, "华北区");

    // A sibling with the same name.
    let r = add(&app, "华北区", Some(sales)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&escape(&text("departments.error.taken"))),
        "{html}"
    );
    assert!(html.contains("value=\"华北区\""));

    // Moving a department below its own child.
    let version = app.query_i64(&format!(
        "SELECT version FROM departments WHERE id = {sales}"
    ));
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/departments/{sales}"),
            &[
                ("name", "销售部"),
                ("parent_id", &north.to_string()),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&escape(&text("departments.error.cycle")))
    );

    // A stale version is refused, not overwritten.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/departments/{north}"),
            &[
                ("name", "华北一区"),
                ("parent_id", &sales.to_string()),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.query_string(&format!("SELECT name FROM departments WHERE id = {north}")),
        "华北区"
    );

    // Deleting a department that still has a sub-department.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/departments/{sales}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/departments/{north}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM departments"), 1);

    // A reporting line that would go round in a circle.
    let a = app
        .create_user("a@huaxing.cn", "甲", "manager", PASSWORD)
        .await;
    let b = app
        .create_user("b@huaxing.cn", "乙", "sales", PASSWORD)
        .await;
    let place = |user: i64, manager: i64| {
        let (u, m) = (user.to_string(), manager.to_string());
        let app = &app;
        async move {
            app.post_form(
                &app.client,
                "/admin/departments/place",
                &[("user_id", &u), ("department_id", ""), ("manager_id", &m)],
            )
            .await
        }
    };
    assert_eq!(place(b, a).await.status(), StatusCode::SEE_OTHER);
    let r = place(a, b).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&escape(&text("departments.error.manager_cycle")))
    );
    assert_eq!(place(a, a).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_administrators_edit_departments() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.create_user("li@huaxing.cn", "李雷", "manager", PASSWORD)
        .await;
    let manager = app.signed_in_client("li@huaxing.cn", PASSWORD).await;
    assert_eq!(
        app.get_as(&manager, "/admin/departments").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(&manager, "/admin/departments", &[("name", "销售部")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM departments"), 0);
}
