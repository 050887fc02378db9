//! Admin-editable roles: built-in roles are read-only templates, a copy can change every
//! grant and field rule, changes are audited with before and after, take effect on the
//! holder's next request, and field rules hold on forms, saves, lists, pages and search.

use crate::helpers::*;
use reqwest::{Client, StatusCode};

struct World {
    app: TestApp,
    /// A rep given the custom role.
    rep: Client,
    rep_id: i64,
    /// Contact owned by a colleague in the same department.
    colleague_contact: i64,
    /// Contact owned by the rep.
    own_contact: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.post_form(
        &app.client,
        "/admin/departments",
        &[("name", "华东区"), ("parent_id", "")],
    )
    .await;
    let dept = app.query_i64("SELECT id FROM departments").to_string();
    let key = make_role(
        &app,
        "sales",
        &[
            ("name", "大客户销售"),
            ("g.contacts.view", "department"),
            ("f.contacts.mobile", "readonly"),
            ("f.contacts.notes", "hidden"),
        ],
    )
    .await;
    let rep_id = app
        .create_user("rep@huaxing.cn", "大客户甲", &key, PASSWORD)
        .await;
    let colleague = app
        .create_user("col@huaxing.cn", "同事乙", "sales", PASSWORD)
        .await;
    for user in [rep_id, colleague] {
        let r = app
            .post_form(
                &app.client,
                "/admin/departments/place",
                &[
                    ("user_id", &user.to_string()),
                    ("department_id", &dept),
                    ("manager_id", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let colleague_contact = create_record(
        &app,
        "contacts",
        &[
            ("name", "同事的客户"),
            ("status", "lead"),
            ("mobile", "13800000011"),
            ("notes", "机密备注 预算五十万"),
            ("owner_id", &colleague.to_string()),
        ],
    )
    .await;
    let own_contact = create_record(
        &app,
        "contacts",
        &[
            ("name", "自己的客户"),
            ("status", "lead"),
            ("mobile", "13800000022"),
            ("notes", "内部备注 折扣底线"),
            ("owner_id", &rep_id.to_string()),
        ],
    )
    .await;
    World {
        rep: app.signed_in_client("rep@huaxing.cn", PASSWORD).await,
        rep_id,
        colleague_contact,
        own_contact,
        app,
    }
}

#[tokio::test]
async fn a_copied_role_reaches_as_far_as_its_grants_say() {
    let w = world().await;
    let app = &w.app;
    // View reaches the department; edit stays with the rep's own records.
    let (status, list) = app.get_html_as(&w.rep, "/contacts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("同事的客户") && list.contains("自己的客户"));
    let page = format!("/contacts/{}", w.colleague_contact);
    let (status, html) = app.get_html_as(&w.rep, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains(&format!("{page}/edit")), "no edit button");
    let r = app.get_as(&w.rep, &format!("{page}/edit")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.post_form(&w.rep, &format!("{page}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The built-in rep role reaches only its own records.
    assert_eq!(
        app.query_string("SELECT role FROM users WHERE email = 'col@huaxing.cn'"),
        "sales"
    );
    let colleague = app.signed_in_client("col@huaxing.cn", PASSWORD).await;
    let (_, list) = app.get_html_as(&colleague, "/contacts").await;
    assert!(!list.contains("自己的客户"));
}

#[tokio::test]
async fn field_rules_hold_on_forms_saves_pages_and_search() {
    let w = world().await;
    let app = &w.app;
    let own = format!("/contacts/{}", w.own_contact);
    // The form shows the read-only mobile disabled and leaves the hidden notes out.
    let (status, form) = app.get_html_as(&w.rep, &format!("{own}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("id=\"f-mobile\""));
    assert!(
        form.contains(&text("record.readonly_hint"))
            || form.contains(&text_zh("record.readonly_hint"))
    );
    assert!(!form.contains("f-notes") && !form.contains("折扣底线"));
    // A crafted post cannot change either.
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &w.rep,
            &format!("{own}/edit"),
            &[
                ("name", "自己的客户（改）"),
                ("status", "prospect"),
                ("mobile", "13999999999"),
                ("notes", "被篡改"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let db = app.db();
    let (name, mobile, notes): (String, String, String) = db
        .query_row(
            "SELECT name, mobile, notes FROM contacts WHERE id = ?1",
            [w.own_contact],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(name, "自己的客户（改）");
    assert_eq!(mobile, "+8613800000022");
    assert_eq!(notes, "内部备注 折扣底线");
    // A new record cannot set them either.
    let r = app
        .post_form(
            &w.rep,
            "/contacts/new",
            &[
                ("name", "新客户丙"),
                ("status", "lead"),
                ("mobile", "13700000033"),
                ("notes", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE name = '新客户丙' AND mobile IS NULL AND notes IS NULL"),
        1
    );
    // Hidden notes are not on the page, nor in the change history, nor findable.
    let (_, page) = app.get_html_as(&w.rep, &own).await;
    assert!(!page.contains("折扣底线") && !page.contains("被篡改"));
    let (_, page) = app
        .get_html_as(&w.rep, &format!("/contacts/{}", w.colleague_contact))
        .await;
    assert!(page.contains("同事的客户") && !page.contains("机密备注"));
    let (_, found) = app.get_html_as(&w.rep, "/search?q=机密备注").await;
    assert!(!found.contains(&format!("/contacts/{}", w.colleague_contact)));
    let (_, found) = app.get_html_as(&app.client, "/search?q=机密备注").await;
    assert!(
        found.contains(&format!("/contacts/{}", w.colleague_contact)),
        "admin finds it"
    );
    // A change to nothing but the hidden notes leaves no trace in the rep's history.
    let colleague = format!("/contacts/{}", w.colleague_contact);
    let (_, form) = app.get_html(&format!("{colleague}/edit")).await;
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &app.client,
            &format!("{colleague}/edit"),
            &[
                ("name", "同事的客户"),
                ("status", "lead"),
                ("mobile", "13800000011"),
                ("notes", "新的机密"),
                ("owner_id", &app.user_id("col@huaxing.cn").to_string()),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_html_as(&w.rep, &colleague).await;
    let key = "action.contact.update";
    assert!(
        !page.contains(&text(key)) && !page.contains(&text_zh(key)),
        "{key}"
    );
    // The mobile is read-only, not hidden: shown and findable.
    let (_, found) = app.get_html_as(&w.rep, "/search?q=00000011").await;
    assert!(
        unescape(&found).contains(&format!("/contacts/{}\"", w.colleague_contact)),
        "{found}"
    );
}

#[tokio::test]
async fn role_changes_are_audited_with_before_and_after_and_apply_at_once() {
    let w = world().await;
    let app = &w.app;
    let key = app.query_string("SELECT key FROM roles");
    let created = app.latest_changes("role.create");
    assert!(
        created.contains("grant.contacts.view") && created.contains("department"),
        "{created}"
    );
    assert!(created.contains("field.contacts.notes"), "{created}");
    // Narrow the view back to own records.
    let (_, form) = app.get_html(&format!("/admin/roles/{key}")).await;
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/roles/{key}"),
            &[
                ("name", "大客户销售"),
                ("version", &version),
                ("g.contacts.view", "own"),
                ("f.contacts.notes", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let changes = app.latest_changes("role.update");
    assert!(
        changes.contains(r#""field":"grant.contacts.view","before":"department","after":"own""#),
        "{changes}"
    );
    assert!(
        changes.contains(r#""field":"field.contacts.notes","before":"hidden","after":null"#),
        "{changes}"
    );
    // The rep's very next request uses the new grants.
    let (_, list) = app.get_html_as(&w.rep, "/contacts").await;
    assert!(!list.contains("同事的客户") && list.contains("自己的客户"));
    let r = app
        .get_as(&w.rep, &format!("/contacts/{}", w.colleague_contact))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, page) = app
        .get_html_as(&w.rep, &format!("/contacts/{}", w.own_contact))
        .await;
    assert!(page.contains("折扣底线"), "notes visible again");
    // A stale save is refused.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/roles/{key}"),
            &[("name", "旧版本"), ("version", &version)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // The page names the role in the audit log in both languages.
    let (_, audit) = app.get_html("/admin/audit?entity_type=role").await;
    assert!(
        audit.contains(&text_zh("roles.audit_grant")) || audit.contains(&text("roles.audit_grant"))
    );
}

#[tokio::test]
async fn built_in_roles_are_read_only_and_a_role_in_use_cannot_be_deleted() {
    let w = world().await;
    let app = &w.app;
    let (status, html) = app.get_html("/admin/roles/sales").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("disabled") && !html.contains("action=\"/admin/roles/sales/delete\""));
    let r = app
        .post_form(
            &app.client,
            "/admin/roles/sales",
            &[("name", "x"), ("g.contacts.view", "all")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let key = app.query_string("SELECT key FROM roles");
    let r = app
        .post_form(&app.client, &format!("/admin/roles/{key}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM roles"),
        1,
        "still there"
    );
    // Once nobody has it, it goes, audited.
    let (_, form) = app.get_html(&format!("/admin/users/{}", w.rep_id)).await;
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{}", w.rep_id),
            &[
                ("email", "rep@huaxing.cn"),
                ("name", "大客户甲"),
                ("role", "sales"),
                ("language", ""),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(&app.client, &format!("/admin/roles/{key}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM roles"), 0);
    assert!(app.audit_actions().contains(&"role.delete".to_string()));
    // A user cannot be given a role that does not exist.
    let r = app
        .post_form(
            &app.client,
            "/admin/users/new",
            &[
                ("email", "x@huaxing.cn"),
                ("name", "X"),
                ("role", &key),
                ("language", ""),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Only administrators reach the roles pages.
    for path in [
        "/admin/roles",
        "/admin/roles/sales",
        "/admin/roles/new?from=sales",
    ] {
        assert_eq!(
            app.get_as(&w.rep, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_viewer_does_not_see_phone_numbers_anywhere() {
    let w = world().await;
    let app = &w.app;
    app.create_user("v@huaxing.cn", "只读", "viewer", PASSWORD)
        .await;
    let viewer = app.signed_in_client("v@huaxing.cn", PASSWORD).await;
    let (_, list) = app.get_html_as(&viewer, "/contacts").await;
    assert!(list.contains("同事的客户"));
    assert!(
        !list.contains("138 0000 0011") && !list.contains("0000 0011"),
        "no mobile column"
    );
    let (_, page) = app
        .get_html_as(&viewer, &format!("/contacts/{}", w.colleague_contact))
        .await;
    assert!(!page.contains("0000 0011") && !page.contains("tel:"));
    // History of the record leaves out the phone change values.
    assert!(!page.contains("+8613800000011"));
    let (_, found) = app.get_html_as(&viewer, "/search?q=13800000011").await;
    assert!(!found.contains(&format!("/contacts/{}", w.colleague_contact)));
    // Filtering by the hidden field is ignored rather than answered.
    let (_, html) = app.get_html_as(&viewer, "/contacts?mobile=138").await;
    assert!(html.contains("同事的客户"));
    // The viewer cannot create or edit.
    assert_eq!(
        app.get_as(&viewer, "/contacts/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(
            &viewer,
            "/contacts/new",
            &[("name", "偷建"), ("status", "lead")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
