//! Record sharing: an owner shares a record with a colleague or a department (with its
//! sub-departments) to view or edit; a share never allows deleting or sharing on, and
//! every share and unshare is audited on the record.

use crate::helpers::*;
use reqwest::{Client, StatusCode};

struct World {
    app: TestApp,
    owner: Client,
    colleague: Client,
    /// In a sub-department of the department the record gets shared with.
    far: Client,
    colleague_id: i64,
    contact: i64,
    sales_dept: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.complete_setup().await;
    for (name, parent) in [("销售部", ""), ("华东区", "1")] {
        app.post_form(
            &app.client,
            "/admin/departments",
            &[("name", name), ("parent_id", parent)],
        )
        .await;
    }
    let east = app.query_i64("SELECT id FROM departments WHERE name = '华东区'");
    let owner = app
        .create_user("o@huaxing.cn", "负责人", "sales", PASSWORD)
        .await;
    let colleague_id = app
        .create_user("c@huaxing.cn", "同事", "sales", PASSWORD)
        .await;
    let far = app
        .create_user("f@huaxing.cn", "华东同事", "sales", PASSWORD)
        .await;
    let r = app
        .post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &far.to_string()),
                ("department_id", &east.to_string()),
                ("manager_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let contact = create_record(
        &app,
        "contacts",
        &[
            ("name", "共享客户"),
            ("status", "lead"),
            ("owner_id", &owner.to_string()),
        ],
    )
    .await;
    World {
        owner: app.signed_in_client("o@huaxing.cn", PASSWORD).await,
        colleague: app.signed_in_client("c@huaxing.cn", PASSWORD).await,
        far: app.signed_in_client("f@huaxing.cn", PASSWORD).await,
        sales_dept: app.query_i64("SELECT id FROM departments WHERE name = '销售部'"),
        colleague_id,
        contact,
        app,
    }
}

async fn sees(w: &World, c: &Client) -> bool {
    let page = w
        .app
        .get_as(c, &format!("/contacts/{}", w.contact))
        .await
        .status();
    let (_, list) = w.app.get_html_as(c, "/contacts").await;
    let (_, found) = w.app.get_html_as(c, "/search?q=共享客户").await;
    let link = format!("/contacts/{}\"", w.contact);
    let has = |html: &str| unescape(html).contains(&link);
    let all = [page == StatusCode::OK, has(&list), has(&found)];
    assert!(all.iter().all(|x| *x == all[0]), "paths disagree: {all:?}");
    all[0]
}

async fn share(w: &World, by: &Client, target: &str, access: &str) -> StatusCode {
    w.app
        .post_form(
            by,
            &format!("/contacts/{}/shares", w.contact),
            &[("target", target), ("access", access)],
        )
        .await
        .status()
}

#[tokio::test]
async fn a_read_share_shows_the_record_but_allows_no_change() {
    let w = world().await;
    let app = &w.app;
    assert!(!sees(&w, &w.colleague).await);
    let to = format!("u:{}", w.colleague_id);
    assert_eq!(
        share(&w, &w.owner, &to, "read").await,
        StatusCode::SEE_OTHER
    );
    assert!(sees(&w, &w.colleague).await);
    let changes = app.latest_changes("contact.share");
    assert!(changes.contains("同事 (read)"), "{changes}");
    let base = format!("/contacts/{}", w.contact);
    let (_, page) = app.get_html_as(&w.colleague, &base).await;
    assert!(!page.contains(&format!("{base}/edit")) && !page.contains(&format!("{base}/shares\"")));
    assert_eq!(
        app.get_as(&w.colleague, &format!("{base}/edit"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    for (path, fields) in [
        (
            format!("{base}/edit"),
            vec![("name", "改"), ("status", "lead"), ("version", "1")],
        ),
        (format!("{base}/delete"), vec![]),
        (format!("{base}/tags"), vec![("name", "标签")]),
        (
            format!("{base}/followups"),
            vec![("kind", "call"), ("body", "打过电话")],
        ),
    ] {
        let status = app.post_form(&w.colleague, &path, &fields).await.status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // Sharing on is refused too.
    assert_eq!(
        share(&w, &w.colleague, "u:1", "read").await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_edit_share_allows_changes_but_not_deleting() {
    let w = world().await;
    let app = &w.app;
    let to = format!("u:{}", w.colleague_id);
    assert_eq!(
        share(&w, &w.owner, &to, "read").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        share(&w, &w.owner, &to, "edit").await,
        StatusCode::SEE_OTHER
    );
    let changes = app.latest_changes("contact.share");
    assert!(
        changes.contains("同事 (read)") && changes.contains("同事 (edit)"),
        "{changes}"
    );
    let base = format!("/contacts/{}", w.contact);
    let (status, form) = app.get_html_as(&w.colleague, &format!("{base}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &w.colleague,
            &format!("{base}/edit"),
            &[
                ("name", "共享客户（已跟进）"),
                ("status", "prospect"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &w.colleague,
            &format!("{base}/followups"),
            &[("kind", "call"), ("body", "帮同事回访")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post_form(&w.colleague, &format!("{base}/delete"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(
            &w.colleague,
            "/contacts/bulk",
            &[("action", "delete"), ("ids", &w.contact.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn a_department_share_reaches_its_sub_departments_and_unsharing_ends_it() {
    let w = world().await;
    let app = &w.app;
    assert!(!sees(&w, &w.far).await);
    let to = format!("d:{}", w.sales_dept);
    assert_eq!(
        share(&w, &w.owner, &to, "read").await,
        StatusCode::SEE_OTHER
    );
    assert!(sees(&w, &w.far).await, "a member of a sub-department");
    assert!(!sees(&w, &w.colleague).await, "not in the department");
    let share_id = app.query_i64("SELECT id FROM shares");
    let r = app
        .post_form(
            &w.owner,
            &format!("/contacts/{}/shares/{share_id}/delete", w.contact),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!sees(&w, &w.far).await);
    assert!(
        app.latest_changes("contact.unshare")
            .contains("销售部 (read)")
    );
    // The record's history shows both.
    let (_, page) = app
        .get_html_as(&w.owner, &format!("/contacts/{}", w.contact))
        .await;
    for key in ["action.contact.share", "action.contact.unshare"] {
        assert!(
            page.contains(&text(key)) || page.contains(&text_zh(key)),
            "{key}"
        );
    }
}

#[tokio::test]
async fn bad_shares_are_refused_with_a_reason() {
    let w = world().await;
    for (target, access) in [
        ("u:9999", "read"),
        ("d:9999", "read"),
        ("x:1", "read"),
        ("u:2", "admin"),
    ] {
        assert_eq!(
            share(&w, &w.owner, target, access).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target} {access}"
        );
    }
    // Sharing with the owner is pointless and refused.
    let owner = w.app.user_id("o@huaxing.cn");
    assert_eq!(
        share(&w, &w.owner, &format!("u:{owner}"), "read").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Someone who cannot see the record cannot share it.
    assert_eq!(
        share(&w, &w.colleague, "u:1", "read").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(w.app.query_i64("SELECT count(*) FROM shares"), 0);
}
