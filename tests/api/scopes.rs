//! Data scopes on every path: a sales rep sees their own customers, a manager their team
//! (reports and department), service agents, viewers and administrators everything. A record
//! outside the scope answers 404 on pages, search, actions and attachments.

use crate::helpers::*;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

struct World {
    app: TestApp,
    rep_a: Client,
    rep_b: Client,
    manager_north: Client,
    manager_east: Client,
    service: Client,
    viewer: Client,
    /// Contact owned by rep A (华北区, reports to the north manager).
    ca: i64,
    /// Contact owned by rep B (华东区).
    cb: i64,
    /// A file on contact B.
    file_b: i64,
    /// A task on contact B.
    task_b: i64,
}

async fn place(app: &TestApp, user: i64, dept: i64, manager: Option<i64>) {
    let manager = manager.map(|m| m.to_string()).unwrap_or_default();
    let r = app
        .post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &user.to_string()),
                ("department_id", &dept.to_string()),
                ("manager_id", &manager),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn world() -> World {
    let app = spawn_app().await;
    app.complete_setup().await;
    for (name, parent) in [("销售部", ""), ("华北区", "1"), ("华东区", "1")] {
        app.post_form(
            &app.client,
            "/admin/departments",
            &[("name", name), ("parent_id", parent)],
        )
        .await;
    }
    let dept = |n: &str| app.query_i64(&format!("SELECT id FROM departments WHERE name = '{n}'"));
    let (north, east) = (dept("华北区"), dept("华东区"));
    let mn = app
        .create_user("mn@huaxing.cn", "北区经理", "manager", PASSWORD)
        .await;
    let me_ = app
        .create_user("me@huaxing.cn", "东区经理", "manager", PASSWORD)
        .await;
    let a = app
        .create_user("a@huaxing.cn", "销售甲", "sales", PASSWORD)
        .await;
    let b = app
        .create_user("b@huaxing.cn", "销售乙", "sales", PASSWORD)
        .await;
    app.create_user("s@huaxing.cn", "客服", "service", PASSWORD)
        .await;
    app.create_user("v@huaxing.cn", "只读", "viewer", PASSWORD)
        .await;
    place(&app, mn, north, None).await;
    place(&app, me_, east, None).await;
    place(&app, a, north, Some(mn)).await;
    place(&app, b, east, None).await;
    let ca = create_record(
        &app,
        "contacts",
        &[
            ("name", "甲的客户"),
            ("status", "lead"),
            ("mobile", "13800000001"),
            ("owner_id", &a.to_string()),
        ],
    )
    .await;
    let cb = create_record(
        &app,
        "contacts",
        &[
            ("name", "乙的客户"),
            ("status", "lead"),
            ("mobile", "13900000002"),
            ("owner_id", &b.to_string()),
        ],
    )
    .await;
    let token = app.csrf(&app.client).await;
    let part = Part::bytes(b"%PDF-1.4 secret".to_vec())
        .file_name("合同.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/contacts/{cb}/attachments")))
        .multipart(Form::new().text("csrf", token).part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &app.client,
            &format!("/contacts/{cb}/tasks"),
            &[("title", "回访乙的客户")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let signed = |e: &'static str| app.signed_in_client(e, PASSWORD);
    World {
        rep_a: signed("a@huaxing.cn").await,
        rep_b: signed("b@huaxing.cn").await,
        manager_north: signed("mn@huaxing.cn").await,
        manager_east: signed("me@huaxing.cn").await,
        service: signed("s@huaxing.cn").await,
        viewer: signed("v@huaxing.cn").await,
        file_b: app.query_i64("SELECT id FROM attachments"),
        task_b: app.query_i64("SELECT id FROM tasks"),
        ca,
        cb,
        app,
    }
}

/// What one user sees of contact B, by every read path.
async fn sees_b(w: &World, c: &Client) -> [bool; 4] {
    let app = &w.app;
    let (_, list) = app.get_html_as(c, "/contacts").await;
    let page = app.get_as(c, &format!("/contacts/{}", w.cb)).await.status();
    let (_, found) = app.get_html_as(c, "/search?q=乙的客户").await;
    let file = app
        .get_as(c, &format!("/attachments/{}", w.file_b))
        .await
        .status();
    [
        list.contains("乙的客户"),
        page == StatusCode::OK,
        found.contains(&format!("/contacts/{}", w.cb)),
        file == StatusCode::OK,
    ]
}

#[tokio::test]
async fn each_role_sees_exactly_its_scope_on_every_read_path() {
    let w = world().await;
    let all = [true; 4];
    let none = [false; 4];
    assert_eq!(sees_b(&w, &w.app.client).await, all, "administrator");
    assert_eq!(sees_b(&w, &w.service).await, all, "service agent");
    assert_eq!(sees_b(&w, &w.viewer).await, all, "viewer");
    assert_eq!(sees_b(&w, &w.rep_b).await, all, "owner");
    assert_eq!(
        sees_b(&w, &w.manager_east).await,
        all,
        "manager of the owner's department"
    );
    assert_eq!(sees_b(&w, &w.rep_a).await, none, "another rep");
    assert_eq!(
        sees_b(&w, &w.manager_north).await,
        none,
        "manager of another department"
    );
    // The north manager sees their report's customer.
    let (_, list) = w.app.get_html_as(&w.manager_north, "/contacts").await;
    assert!(list.contains("甲的客户"));
    assert_eq!(
        w.app
            .get_as(&w.manager_north, &format!("/contacts/{}", w.ca))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn changes_outside_the_scope_are_refused_as_if_the_record_did_not_exist() {
    let w = world().await;
    let (app, rep, cb) = (&w.app, &w.rep_a, w.cb.to_string());
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/contacts/{cb}/edit"),
            vec![("name", "改名"), ("status", "lead"), ("version", "1")],
        ),
        (format!("/contacts/{cb}/delete"), vec![]),
        (
            format!("/contacts/{cb}/followups"),
            vec![("kind", "call"), ("body", "偷看")],
        ),
        (format!("/contacts/{cb}/tags"), vec![("name", "偷标")]),
        (format!("/contacts/{}/merge", w.ca), vec![("into", &cb)]),
        (format!("/attachments/{}/delete", w.file_b), vec![]),
        (format!("/tasks/{}/done", w.task_b), vec![("done", "1")]),
        (
            "/contacts/bulk".to_string(),
            vec![("action", "delete"), ("ids", &cb)],
        ),
    ];
    for (path, fields) in &posts {
        let r = app.post_form(rep, path, fields).await;
        let status = r.status();
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {status}"
        );
    }
    assert_eq!(
        app.get_as(rep, &format!("/contacts/{cb}/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Nothing changed.
    assert_eq!(
        app.query_string(&format!("SELECT name FROM contacts WHERE id = {cb}")),
        "乙的客户"
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT deleted_at IS NULL FROM contacts WHERE id = {cb}"
        )),
        1
    );
    assert_eq!(
        app.query_i64("SELECT count(*) FROM attachments WHERE deleted_at IS NULL"),
        1
    );
    assert_eq!(
        app.query_i64("SELECT count(*) FROM tasks WHERE done_at IS NULL"),
        1
    );
    assert_eq!(app.query_i64("SELECT count(*) FROM activities"), 0);
    // The same requests work for the owner, so the refusals above are the scope's doing.
    let r = app
        .post_form(
            &w.rep_b,
            &format!("/contacts/{cb}/followups"),
            &[("kind", "call"), ("body", "回访")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &w.rep_b,
            &format!("/tasks/{}/done", w.task_b),
            &[("done", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &w.rep_b,
            "/contacts/bulk",
            &[("action", "tag"), ("tag", "重点"), ("ids", &cb)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM activities"), 1);
    // A viewer sees it but may not change it.
    let r = app
        .post_form(&w.viewer, &format!("/contacts/{cb}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_duplicate_outside_the_scope_is_named_by_its_owner_not_its_contents() {
    let w = world().await;
    let r = w
        .app
        .post_form(
            &w.rep_a,
            "/contacts/new",
            &[
                ("name", "新客户"),
                ("status", "lead"),
                ("mobile", "139 0000 0002"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&escape(
            &text("record.duplicate_hidden").replace("{owner}", "销售乙")
        )),
        "{html}"
    );
    assert!(
        !html.contains("乙的客户"),
        "the other record's name is not shown"
    );
    assert!(!html.contains(&format!("/contacts/{}", w.cb)));
    // Its owner's manager sees the record itself.
    let r = w
        .app
        .post_form(
            &w.manager_east,
            "/contacts/new",
            &[
                ("name", "新客户"),
                ("status", "lead"),
                ("mobile", "13900000002"),
            ],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("乙的客户"), "{html}");
}

#[tokio::test]
async fn a_manager_sees_the_teams_deals_on_the_board_and_no_others() {
    let w = world().await;
    let app = &w.app;
    create_record(
        app,
        "companies",
        &[("name", "华星科技"), ("status", "lead")],
    )
    .await;
    let stage = app.query_i64("SELECT min(id) FROM stages");
    let user = |e: &str| app.query_i64(&format!("SELECT id FROM users WHERE email = '{e}'"));
    for (name, owner) in [
        ("甲的商机", user("a@huaxing.cn")),
        ("乙的商机", user("b@huaxing.cn")),
    ] {
        create_record(
            app,
            "deals",
            &[
                ("name", name),
                ("company_id", "华星科技"),
                ("stage_id", &stage.to_string()),
                ("amount", "100"),
                ("currency", "CNY"),
                ("owner_id", &owner.to_string()),
            ],
        )
        .await;
    }
    let (status, html) = app.get_html_as(&w.manager_north, "/deals/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("甲的商机"), "the team's deal is on the board");
    assert!(!html.contains("乙的商机"), "another team's deal is not");
    let (_, html) = app.get_html_as(&w.manager_east, "/deals/board").await;
    assert!(html.contains("乙的商机") && !html.contains("甲的商机"));
}

/// Whether a manager's contacts list (read by department) shows contact B.
async fn lists_b(w: &World, manager: &Client) -> bool {
    let (status, html) = w.app.get_html_as(manager, "/contacts").await;
    assert_eq!(status, StatusCode::OK);
    html.contains("乙的客户")
}

#[tokio::test]
async fn a_managers_list_follows_a_rep_to_another_department_and_a_customer_to_another_owner() {
    let w = world().await;
    let app = &w.app;
    let user = |e: &str| app.query_i64(&format!("SELECT id FROM users WHERE email = '{e}'"));
    let dept = |n: &str| app.query_i64(&format!("SELECT id FROM departments WHERE name = '{n}'"));
    let (a, b) = (user("a@huaxing.cn"), user("b@huaxing.cn"));
    assert!(lists_b(&w, &w.manager_east).await && !lists_b(&w, &w.manager_north).await);

    // Rep B moves from 华东区 to 华北区, and their customers with them.
    place(app, b, dept("华北区"), None).await;
    assert!(
        lists_b(&w, &w.manager_north).await,
        "the new department's manager"
    );
    assert!(
        !lists_b(&w, &w.manager_east).await,
        "the old department's manager"
    );

    // Back in 华东区, contact B is given to rep A (华北区).
    place(app, b, dept("华东区"), None).await;
    assert!(lists_b(&w, &w.manager_east).await);
    let r = app
        .post_form(
            &app.client,
            "/contacts/bulk",
            &[
                ("action", "assign"),
                ("owner_id", &a.to_string()),
                ("ids", &w.cb.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        lists_b(&w, &w.manager_north).await,
        "the new owner's manager"
    );
    assert!(
        !lists_b(&w, &w.manager_east).await,
        "the old owner's manager"
    );
    assert_eq!(
        app.query_i64(
            "SELECT count(*) FROM contacts c JOIN users u ON u.id = c.owner_id
             WHERE c.owner_department_id IS NOT u.department_id"
        ),
        0,
        "every contact carries its owner's department"
    );
}
