//! Customer records (companies and contacts): pages, duplicates, conflicts, trash, lists.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_company_is_created_viewed_edited_deleted_restored_and_purged_with_audit_entries() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/companies/new",
            &[
                ("name", "华为技术有限公司"),
                ("status", "prospect"),
                ("phone", "+86 755 2878 0808"),
                ("city", "深圳"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_from(&location(&r));
    let (status, html) = app.get_html(&format!("/companies/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("华为技术有限公司") && html.contains("0755-2878 0808"),
        "{html}"
    );

    let r = app
        .post_form(
            &app.client,
            &format!("/companies/{id}/edit"),
            &[
                ("name", "华为技术有限公司"),
                ("status", "customer"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Saving again without a change writes nothing: no new version, no empty history entry.
    let entries = app.query_i64("SELECT count(*) FROM audit_log");
    let r = app
        .post_form(
            &app.client,
            &format!("/companies/{id}/edit"),
            &[
                ("name", "华为技术有限公司"),
                ("status", "customer"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM audit_log"), entries);
    assert_eq!(
        app.query_i64(&format!("SELECT version FROM companies WHERE id = {id}")),
        2
    );
    let r = app
        .post_form(&app.client, &format!("/companies/{id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !app.get_html("/companies")
            .await
            .1
            .contains("华为技术有限公司")
    );
    assert!(app.get_html("/trash").await.1.contains("华为技术有限公司"));
    app.post_form(&app.client, &format!("/companies/{id}/restore"), &[])
        .await;
    assert!(
        app.get_html("/companies")
            .await
            .1
            .contains("华为技术有限公司")
    );
    let r = app
        .post_form(&app.client, &format!("/companies/{id}/purge"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "only trashed records can be purged"
    );
    app.post_form(&app.client, &format!("/companies/{id}/delete"), &[])
        .await;
    let r = app
        .post_form(&app.client, &format!("/companies/{id}/purge"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), 0);
    let actions = app.audit_actions();
    for a in [
        "company.create",
        "company.update",
        "company.delete",
        "company.restore",
        "company.purge",
    ] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
    let changes: String = app
        .db()
        .query_row(
            "SELECT changes FROM audit_log WHERE action = 'company.update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        changes.contains("prospect") && changes.contains("customer"),
        "{changes}"
    );
}

#[tokio::test]
async fn a_form_with_errors_keeps_the_input_and_marks_the_fields() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", ""),
                ("status", "lead"),
                ("mobile", "138-abc"),
                ("email", "zhang@"),
                ("title", "采购经理"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("采购经理") && html.contains("138-abc") && html.contains("zhang@"));
    assert_eq!(html.matches("field has-error").count(), 3, "{html}");
    assert_eq!(app.query_i64("SELECT count(*) FROM contacts"), 0);
}

#[tokio::test]
async fn phone_numbers_in_any_common_format_are_the_same_number_and_flag_a_duplicate() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", "张伟"),
                ("status", "lead"),
                ("mobile", "13800138000"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for spelling in ["+86 138-0013-8000", "138 0013 8000", "8613800138000"] {
        let r = app
            .post_form(
                &app.client,
                "/contacts/new",
                &[("name", "张伟总"), ("status", "lead"), ("mobile", spelling)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{spelling}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("confirm_duplicate") && html.contains("张伟"),
            "{spelling}"
        );
    }
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", "张伟总"),
                ("status", "lead"),
                ("mobile", "138 0013 8000"),
                ("confirm_duplicate", "1"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "created anyway when confirmed"
    );
    let stored: Vec<String> = {
        let db = app.db();
        let mut s = db.prepare("SELECT mobile FROM contacts").unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(stored, vec!["+8613800138000", "+8613800138000"]);
}

#[tokio::test]
async fn a_company_written_with_its_legal_form_is_found_as_a_duplicate() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.post_form(
        &app.client,
        "/companies/new",
        &[("name", "华星科技"), ("status", "lead")],
    )
    .await;
    let r = app
        .post_form(
            &app.client,
            "/companies/new",
            &[("name", "华星科技有限公司"), ("status", "lead")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn saving_over_a_newer_version_shows_what_changed_and_keeps_the_input() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[("name", "李静"), ("status", "lead"), ("city", "北京")],
        )
        .await;
    let id = id_from(&location(&r));
    let other = app.signed_in_client(ADMIN_EMAIL, PASSWORD).await;
    let path = format!("/contacts/{id}/edit");
    let first = app
        .post_form(
            &other,
            &path,
            &[
                ("name", "李静"),
                ("status", "prospect"),
                ("city", "上海"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = app
        .post_form(
            &app.client,
            &path,
            &[
                ("name", "李静"),
                ("status", "lead"),
                ("city", "天津"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let html = second.text().await.unwrap();
    assert!(
        html.contains("上海") && html.contains("天津"),
        "both versions are shown"
    );
    assert!(
        html.contains("name=\"version\" value=\"2\""),
        "re-saving applies on top of the newer version"
    );
    let city: String = app
        .db()
        .query_row("SELECT city FROM contacts WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(city, "上海", "nothing was overwritten");
    let again = app
        .post_form(
            &app.client,
            &path,
            &[
                ("name", "李静"),
                ("status", "lead"),
                ("city", "天津"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_contact_links_to_its_company_by_name_and_shows_on_the_company_page() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/companies/new",
            &[("name", "恒通物流有限公司"), ("status", "customer")],
        )
        .await;
    let company = id_from(&location(&r));
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", "陈晨"),
                ("status", "customer"),
                ("company_id", "恒通物流"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.get_html(&format!("/companies/{company}"))
            .await
            .1
            .contains("陈晨")
    );
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", "无名"),
                ("status", "lead"),
                ("company_id", "不存在的公司"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn lists_page_by_keyset_and_filter() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let dir = app.dir.path().to_path_buf();
    let seed = kith(&dir, &["seed", "--demo"], None).await;
    assert!(seed.status.success(), "{}", stderr(&seed));
    let (status, first) = app.get_html("/contacts?sort=name").await;
    let first = first.replace("&#x2f;", "/");
    assert_eq!(status, StatusCode::OK);
    let next = first
        .split("href=\"/contacts?")
        .find(|s| s.contains("after_id"))
        .expect("a next page");
    let next = next.split('"').next().unwrap().replace("&amp;", "&");
    let (status, second) = app.get_html(&format!("/contacts?{next}")).await;
    assert_eq!(status, StatusCode::OK);
    let ids = |html: &str| -> Vec<String> {
        html.split("href=\"/contacts/")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .filter(|s| s.parse::<i64>().is_ok())
            .collect()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert_eq!(a.len(), 50);
    assert!(b.iter().all(|id| !a.contains(id)), "pages do not overlap");
    let (_, churned) = app.get_html("/companies?status=churned").await;
    assert!(churned.contains("status-churned") && !churned.contains("badge status-customer"));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_records() {
    let app = spawn_app().await;
    app.complete_setup().await;
    app.post_form(
        &app.client,
        "/companies/new",
        &[("name", "只读测试公司"), ("status", "lead")],
    )
    .await;
    app.create_user("view@huaxing.cn", "查看者", "viewer", PASSWORD)
        .await;
    let viewer = app.signed_in_client("view@huaxing.cn", PASSWORD).await;
    assert_eq!(
        app.get_as(&viewer, "/companies/1").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_as(&viewer, "/companies/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app.post_form(&viewer, "/companies/1/delete", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM companies WHERE deleted_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn list_queries_use_indexes_not_full_scans() {
    let dir = tempfile::tempdir().unwrap();
    let db = kith::db::Db::open(&dir.path().join("kith.db"), 1).unwrap();
    let plans: Vec<String> = db
        .read_blocking(|c| {
            let mut out = Vec::new();
            for sql in [
                "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 51",
                "SELECT id FROM contacts WHERE deleted_at IS NULL AND (updated_at, id) < ('2026', 5) ORDER BY updated_at DESC, id DESC LIMIT 51",
                "SELECT id FROM contacts WHERE deleted_at IS NULL AND status = 'lead' ORDER BY updated_at DESC, id DESC LIMIT 51",
                "SELECT id FROM contacts WHERE deleted_at IS NULL AND owner_id = 3 ORDER BY updated_at DESC, id DESC LIMIT 51",
                "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY name ASC, id ASC LIMIT 51",
                "SELECT id FROM companies WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 51",
                "SELECT id FROM contacts WHERE deleted_at IS NULL AND mobile = '+8613800138000'",
            ] {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let detail: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(3))?.collect::<Result<_, _>>()?;
                out.push(format!("{sql} => {}", detail.join("; ")));
            }
            Ok(out)
        })
        .unwrap();
    for p in &plans {
        let plan = p.split(" => ").nth(1).unwrap();
        assert!(
            plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"),
            "{p}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "no sort of all rows: {p}");
    }
}
