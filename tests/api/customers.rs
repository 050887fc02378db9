//! Search, follow-ups, tasks, tags and bulk actions on companies and contacts.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn search_finds_one_and_two_chinese_characters_partial_phones_and_latin_names() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let huawei = create_record(
        &app,
        "companies",
        &[("name", "华为技术有限公司"), ("status", "customer")],
    )
    .await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "张伟"),
            ("status", "lead"),
            ("mobile", "+86 138-0013-8000"),
            ("company_id", "华为技术有限公司"),
        ],
    )
    .await;
    create_record(&app, "contacts", &[("name", "王张"), ("status", "lead")]).await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "Emma Moore"),
            ("status", "lead"),
            ("email", "emma@northwind.example"),
        ],
    )
    .await;
    let found = |html: &str, name: &str| html.contains(&format!("<strong>{name}</strong>"));

    let (status, html) = app.get_html("/search?q=%E5%BC%A0").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found(&html, "张伟") && found(&html, "王张"));
    assert!(
        html.find("张伟").unwrap() < html.find("王张").unwrap(),
        "a name starting with the query ranks first"
    );

    let (_, html) = app.get_html("/search?q=%E5%8D%8E%E4%B8%BA").await;
    assert!(found(&html, "华为技术有限公司"));
    assert!(
        found(&html, "张伟"),
        "a contact is found by its company's name"
    );
    assert!(!found(&html, "王张"));

    let (_, html) = app.get_html("/search?q=0013").await;
    assert!(found(&html, "张伟") && !found(&html, "Emma Moore"));
    let (_, html) = app.get_html("/search?q=emm").await;
    assert!(found(&html, "Emma Moore"));
    let (_, html) = app.get_html("/search?q=northwind").await;
    assert!(found(&html, "Emma Moore"), "emails are searched");

    app.post_form(&app.client, &format!("/companies/{huawei}/delete"), &[])
        .await;
    let (_, html) = app.get_html("/search?q=%E5%8D%8E%E4%B8%BA").await;
    assert!(
        !found(&html, "华为技术有限公司"),
        "records in the trash are not found"
    );
}

#[tokio::test]
async fn search_input_that_looks_like_query_syntax_is_harmless() {
    let app = spawn_app().await;
    app.complete_setup().await;
    for q in [
        "%22",
        "*",
        "NEAR(a%20b)",
        "a%22%20OR%20%22b",
        "%E5%BC%A0*",
        "-",
    ] {
        let (status, _) = app.get_html(&format!("/search?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}");
    }
}

#[tokio::test]
async fn a_follow_up_with_a_next_date_creates_a_task_that_shows_today_and_can_be_ticked_off() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let company = create_record(
        &app,
        "companies",
        &[("name", "恒通物流有限公司"), ("status", "prospect")],
    )
    .await;
    let contact = create_record(
        &app,
        "contacts",
        &[
            ("name", "陈晨"),
            ("status", "prospect"),
            ("company_id", "恒通物流有限公司"),
        ],
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string();
    let r = app
        .post_form(
            &app.client,
            &format!("/contacts/{contact}/followups"),
            &[
                ("kind", "call"),
                ("outcome", "interested"),
                ("body", "客户想要新报价"),
                ("next_follow_up", &today),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/companies/{company}")).await;
    assert!(
        html.contains("客户想要新报价"),
        "a contact's follow-up shows on its company"
    );
    let (_, today_page) = app.get_html("/today").await;
    assert!(today_page.contains("陈晨"), "{today_page}");
    let task = app.query_i64("SELECT id FROM tasks");
    let r = app
        .post_form(
            &app.client,
            &format!("/tasks/{task}/done"),
            &[("done", "1"), ("next", "/today")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM tasks WHERE done_at IS NOT NULL"),
        1
    );
    let actions = app.audit_actions();
    for a in ["activity.create", "task.create", "task.done"] {
        assert!(actions.contains(&a.to_string()), "{a}");
    }
}

#[tokio::test]
async fn a_follow_up_with_errors_comes_back_filled_in() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let company = create_record(
        &app,
        "companies",
        &[("name", "瑞丰贸易"), ("status", "lead")],
    )
    .await;
    let r = app
        .post_form(
            &app.client,
            &format!("/companies/{company}/followups"),
            &[
                ("kind", "visit"),
                ("body", ""),
                ("next_follow_up", "2026-02-30"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("2026-02-30"));
    assert_eq!(app.query_i64("SELECT count(*) FROM activities"), 0);
}

#[tokio::test]
async fn tags_are_created_on_the_fly_filter_lists_and_apply_in_bulk() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let a = create_record(&app, "contacts", &[("name", "李娜"), ("status", "lead")]).await;
    let b = create_record(&app, "contacts", &[("name", "赵强"), ("status", "lead")]).await;
    let c = create_record(&app, "contacts", &[("name", "孙磊"), ("status", "lead")]).await;
    let r = app
        .post_form(
            &app.client,
            &format!("/contacts/{a}/tags"),
            &[("name", "高活跃度"), ("color", "green")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/contacts/{a}")).await;
    assert!(html.contains("tag-green") && html.contains("高活跃度"));

    let (a, b, c) = (a.to_string(), b.to_string(), c.to_string());
    let r = app
        .post_form(
            &app.client,
            "/contacts/bulk",
            &[
                ("action", "tag"),
                ("tag", "价格敏感型"),
                ("ids", &b),
                ("ids", &c),
                ("next", "/contacts"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tag = app.query_i64("SELECT id FROM tags WHERE name = '价格敏感型'");
    let (_, html) = app.get_html(&format!("/contacts?tag={tag}")).await;
    assert!(html.contains("赵强") && html.contains("孙磊") && !html.contains(">李娜<"));

    let me = app.user_id(ADMIN_EMAIL).to_string();
    let other = app
        .create_user("li@huaxing.cn", "李四", "sales", PASSWORD)
        .await
        .to_string();
    app.post_form(
        &app.client,
        "/contacts/bulk",
        &[
            ("action", "assign"),
            ("owner_id", &other),
            ("ids", &a),
            ("ids", &b),
        ],
    )
    .await;
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM contacts WHERE owner_id = {other}"
        )),
        2
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM contacts WHERE owner_id = {me}"
        )),
        1
    );

    app.post_form(
        &app.client,
        "/contacts/bulk",
        &[("action", "untag"), ("tag", "价格敏感型"), ("ids", &b)],
    )
    .await;
    app.post_form(
        &app.client,
        "/contacts/bulk",
        &[("action", "delete"), ("ids", &c)],
    )
    .await;
    assert_eq!(app.query_i64("SELECT count(*) FROM record_tags"), 2);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM contacts WHERE deleted_at IS NOT NULL"),
        1
    );
    let actions = app.audit_actions();
    for x in [
        "tag.create",
        "contact.tag",
        "contact.untag",
        "contact.assign",
        "contact.delete",
    ] {
        assert!(actions.contains(&x.to_string()), "{x}");
    }
}

#[tokio::test]
async fn a_viewer_cannot_tag_log_or_bulk_change() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = create_record(
        &app,
        "companies",
        &[("name", "只读公司"), ("status", "lead")],
    )
    .await;
    app.create_user("v@huaxing.cn", "查看", "viewer", PASSWORD)
        .await;
    let viewer = app.signed_in_client("v@huaxing.cn", PASSWORD).await;
    let sid = id.to_string();
    for (path, fields) in [
        (format!("/companies/{id}/tags"), vec![("name", "x")]),
        (
            format!("/companies/{id}/followups"),
            vec![("kind", "call"), ("body", "x")],
        ),
        (
            "/companies/bulk".to_string(),
            vec![("action", "delete"), ("ids", sid.as_str())],
        ),
    ] {
        let r = app.post_form(&viewer, &path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.query_i64("SELECT count(*) FROM companies WHERE deleted_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn a_saved_view_keeps_the_filters_and_belongs_to_its_user() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/contacts/views",
            &[
                ("name", "我的成交客户"),
                ("query", "status=customer&sort=-name&after=x&evil=1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let query = app.query_string("SELECT query FROM saved_views");
    assert_eq!(query, "status=customer&sort=-name");
    let (_, html) = app.get_html("/contacts").await;
    assert!(html.contains("我的成交客户") && html.contains("status=customer&amp;sort=-name"));
    app.create_user("li@huaxing.cn", "李四", "sales", PASSWORD)
        .await;
    let other = app.signed_in_client("li@huaxing.cn", PASSWORD).await;
    let (_, theirs) = app.get_html_as(&other, "/contacts").await;
    assert!(!theirs.contains("我的成交客户"), "views are per user");
    let view = app.query_i64("SELECT id FROM saved_views");
    let r = app
        .post_form(&other, &format!("/views/{view}/delete"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "nobody deletes another user's view"
    );
    app.post_form(&app.client, &format!("/views/{view}/delete"), &[])
        .await;
    assert_eq!(app.query_i64("SELECT count(*) FROM saved_views"), 0);
}

#[tokio::test]
async fn merging_a_duplicate_keeps_its_follow_ups_tags_files_and_history() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let keep = create_record(
        &app,
        "contacts",
        &[
            ("name", "张伟"),
            ("status", "customer"),
            ("mobile", "13800138000"),
        ],
    )
    .await;
    let dup = create_record(
        &app,
        "contacts",
        &[
            ("name", "张伟总"),
            ("status", "lead"),
            ("mobile", "138 0013 8000"),
            ("email", "zhangwei@huaxing.cn"),
            ("confirm_duplicate", "1"),
        ],
    )
    .await;
    app.post_form(
        &app.client,
        &format!("/contacts/{dup}/followups"),
        &[("kind", "visit"), ("body", "上门拜访，谈了续约")],
    )
    .await;
    app.post_form(
        &app.client,
        &format!("/contacts/{dup}/tags"),
        &[("name", "重要客户")],
    )
    .await;
    let (_, page) = app.get_html(&format!("/contacts/{dup}")).await;
    assert!(
        page.contains(&format!("name=\"into\" value=\"{keep}\"")),
        "the duplicate is offered for merging"
    );

    let r = app
        .post_form(
            &app.client,
            &format!("/contacts/{dup}/merge"),
            &[("into", &keep.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/contacts/{keep}")).await;
    assert!(html.contains("上门拜访，谈了续约"), "follow-up moved");
    assert!(html.contains("重要客户"), "tag moved");
    assert!(
        html.contains("zhangwei@huaxing.cn"),
        "an empty field was filled from the duplicate"
    );
    assert!(
        html.contains("张伟总"),
        "the duplicate's history (its creation) shows on the kept record"
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM contacts WHERE id = {dup} AND deleted_at IS NOT NULL"
        )),
        1
    );
    let status = app.query_string(&format!("SELECT status FROM contacts WHERE id = {keep}"));
    assert_eq!(status, "customer", "the kept record's own values win");
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"contact.merge".to_string())
            && actions.contains(&"contact.merged_into".to_string())
    );
    let r = app
        .post_form(
            &app.client,
            &format!("/contacts/{keep}/merge"),
            &[("into", &keep.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn custom_fields_appear_on_forms_lists_filters_and_in_the_audit_log() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let add =
        |label: &'static str, kind: &'static str, options: &'static str, in_list: &'static str| {
            vec![
                ("entity", "contacts"),
                ("label", label),
                ("kind", kind),
                ("options", options),
                ("in_list", in_list),
            ]
        };
    for fields in [
        add("客户等级", "select", "A级, B级, C级", "1"),
        add("年采购额", "number", "", ""),
        add("沟通渠道", "multiselect", "微信, 电话, 邮件", ""),
        add("已签保密协议", "checkbox", "", ""),
    ] {
        let r = app.post_form(&app.client, "/admin/fields", &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let bad = app
        .post_form(&app.client, "/admin/fields", &add("", "select", "", ""))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (_, form) = app.get_html("/contacts/new").await;
    assert!(form.contains("客户等级") && form.contains("name=\"cf_f2\""));
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[
                ("name", "周敏"),
                ("status", "customer"),
                ("cf_f1", "A级"),
                ("cf_f2", "abc"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a bad number is refused"
    );
    assert!(
        r.text().await.unwrap().contains("value=\"abc\""),
        "and the input is kept"
    );
    let a = create_record(
        &app,
        "contacts",
        &[
            ("name", "周敏"),
            ("status", "customer"),
            ("cf_f1", "A级"),
            ("cf_f2", "1,200.5"),
            ("cf_f3__0", "1"),
            ("cf_f4", "1"),
        ],
    )
    .await;
    create_record(
        &app,
        "contacts",
        &[("name", "吴刚"), ("status", "lead"), ("cf_f1", "C级")],
    )
    .await;

    let (_, html) = app.get_html(&format!("/contacts/{a}")).await;
    assert!(html.contains("1200.5") && html.contains("微信"));
    let (_, list) = app.get_html("/contacts?cf_f1=A%E7%BA%A7").await;
    assert!(
        list.contains("周敏") && !list.contains("吴刚"),
        "filter by a custom choice"
    );
    assert!(list.contains("<th>客户等级</th>"), "shown as a list column");
    let (_, list) = app.get_html("/contacts?cf_f3=%E5%BE%AE%E4%BF%A1").await;
    assert!(
        list.contains("周敏") && !list.contains("吴刚"),
        "filter by one of several choices"
    );
    let (_, list) = app.get_html("/contacts?cf_f4=true").await;
    assert!(
        list.contains("周敏") && !list.contains("吴刚"),
        "filter by a checkbox"
    );
    let changes = app.latest_changes("contact.create");
    assert!(
        changes.contains("客户等级") && changes.contains("C级"),
        "{changes}"
    );
    assert!(
        !changes.contains("已签保密协议"),
        "an unticked box is no change: {changes}"
    );
}

#[tokio::test]
async fn lists_filter_on_built_in_fields_and_saved_views_keep_them() {
    let app = spawn_app().await;
    app.complete_setup().await;
    create_record(
        &app,
        "companies",
        &[
            ("name", "北京一号"),
            ("status", "lead"),
            ("city", "北京"),
            ("source", "exhibition"),
        ],
    )
    .await;
    create_record(
        &app,
        "companies",
        &[
            ("name", "上海二号"),
            ("status", "lead"),
            ("city", "上海"),
            ("source", "website"),
        ],
    )
    .await;
    let (_, html) = app.get_html("/companies?city=%E5%8C%97%E4%BA%AC").await;
    assert!(html.contains("北京一号") && !html.contains("上海二号"));
    let (_, html) = app.get_html("/companies?source=website").await;
    assert!(html.contains("上海二号") && !html.contains("北京一号"));
    let (_, html) = app.get_html("/companies?name=x&deleted_at=1").await;
    assert!(
        html.contains("北京一号") && html.contains("上海二号"),
        "unknown filters are ignored, not spliced into SQL"
    );
    app.post_form(
        &app.client,
        "/companies/views",
        &[
            ("name", "展会来的"),
            ("query", "source=exhibition&cf_f1=x&cf_bad-key=y"),
        ],
    )
    .await;
    assert_eq!(
        app.query_string("SELECT query FROM saved_views"),
        "source=exhibition&cf_f1=x"
    );
}

#[tokio::test]
async fn an_administrator_can_make_built_in_fields_required() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/admin/fields/required",
            &[
                ("entity", "contacts"),
                ("required", "mobile"),
                ("required", "source"),
                ("required", "nonsense"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM required_fields WHERE entity = 'contacts'"),
        2
    );
    let r = app
        .post_form(
            &app.client,
            "/contacts/new",
            &[("name", "缺手机"), ("status", "lead")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html).len(), 2, "{:?}", marked_fields(&html));
    create_record(
        &app,
        "contacts",
        &[
            ("name", "有手机"),
            ("status", "lead"),
            ("mobile", "13912345678"),
            ("source", "referral"),
        ],
    )
    .await;
    create_record(
        &app,
        "companies",
        &[("name", "公司不受影响"), ("status", "lead")],
    )
    .await;
    assert!(
        app.audit_actions()
            .contains(&"settings.required_fields".to_string())
    );
    let viewer = {
        app.create_user("s@huaxing.cn", "销售", "sales", PASSWORD)
            .await;
        app.signed_in_client("s@huaxing.cn", PASSWORD).await
    };
    let r = app
        .post_form(&viewer, "/admin/fields/required", &[("entity", "contacts")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn companies_take_an_industry_from_the_two_level_taxonomy() {
    let app = spawn_app().await;
    app.complete_setup().await;
    assert!(
        app.query_i64("SELECT count(*) FROM industries WHERE parent_id IS NULL") >= 5,
        "setup fills in defaults"
    );
    let sector = app.query_i64("SELECT id FROM industries WHERE name = '信息技术'");
    let software = app.query_i64("SELECT id FROM industries WHERE name = '软件'");
    let (_, form) = app.get_html("/companies/new").await;
    assert!(form.contains("<optgroup label=\"信息技术\">"));
    let id = create_record(
        &app,
        "companies",
        &[
            ("name", "云帆软件"),
            ("status", "lead"),
            ("industry_id", &software.to_string()),
        ],
    )
    .await;
    create_record(
        &app,
        "companies",
        &[("name", "其他公司"), ("status", "lead")],
    )
    .await;
    let (_, html) = app.get_html(&format!("/companies/{id}")).await;
    assert!(
        unescape(&html).contains("信息技术 / 软件"),
        "shown with its sector"
    );
    let (_, list) = app.get_html(&format!("/companies?industry={sector}")).await;
    assert!(
        list.contains("云帆软件") && !list.contains("其他公司"),
        "a sector filter includes its sub-industries"
    );
    let r = app
        .post_form(
            &app.client,
            "/companies/new",
            &[
                ("name", "坏行业"),
                ("status", "lead"),
                ("industry_id", "99999"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/industries/{sector}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "an industry in use stays");
    let r = app
        .post_form(
            &app.client,
            "/admin/industries",
            &[("name", "跨境电商"), ("parent", &sector.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = app.query_i64("SELECT id FROM industries WHERE name = '跨境电商'");
    let r = app
        .post_form(&app.client, &format!("/admin/industries/{new}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions();
    assert!(
        actions.contains(&"industry.create".to_string())
            && actions.contains(&"industry.delete".to_string())
    );
}

#[tokio::test]
async fn search_follows_a_company_rename_and_finds_custom_field_text() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let company = create_record(
        &app,
        "companies",
        &[("name", "旧名称公司"), ("status", "lead")],
    )
    .await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "钱多多"),
            ("status", "lead"),
            ("company_id", "旧名称公司"),
        ],
    )
    .await;
    app.post_form(
        &app.client,
        &format!("/companies/{company}/edit"),
        &[("name", "新星集团"), ("status", "lead"), ("version", "1")],
    )
    .await;
    let (_, html) = app.get_html("/search?q=%E6%96%B0%E6%98%9F").await;
    assert!(
        html.contains("钱多多"),
        "the contact is found by its company's new name"
    );
    app.post_form(
        &app.client,
        "/admin/fields",
        &[("entity", "contacts"), ("label", "爱好"), ("kind", "text")],
    )
    .await;
    create_record(
        &app,
        "contacts",
        &[("name", "孔明"), ("status", "lead"), ("cf_f1", "围棋")],
    )
    .await;
    let (_, html) = app.get_html("/search?q=%E5%9B%B4%E6%A3%8B").await;
    assert!(html.contains("孔明"));
}

#[tokio::test]
async fn a_company_page_shows_its_first_contacts_and_links_to_all_of_them() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let company = create_record(
        &app,
        "companies",
        &[("name", "大客户集团"), ("status", "customer")],
    )
    .await;
    let token = app.csrf(&app.client).await;
    for i in 0..25 {
        let name = format!("员工{i:02}");
        let fields = [
            ("name", name.as_str()),
            ("status", "customer"),
            ("company_id", "大客户集团"),
        ];
        let r = app
            .post_form_with(&app.client, "/contacts/new", &fields, &token)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = app.get_html(&format!("/companies/{company}")).await;
    let linked = html
        .split("href=\"/contacts/")
        .skip(1)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(linked, 20, "the first twenty contacts");
    let link = format!("/contacts?company={company}");
    assert!(unescape(&html).contains(&link));
    let (_, list) = app.get_html(&link).await;
    assert!(list.contains("员工24") && list.contains("员工00"));
}

#[tokio::test]
async fn a_task_with_a_bad_date_comes_back_with_its_title_kept() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = create_record(
        &app,
        "companies",
        &[("name", "任务公司"), ("status", "lead")],
    )
    .await;
    let r = app
        .post_form(
            &app.client,
            &format!("/companies/{id}/tasks"),
            &[("title", "寄送样品"), ("due_date", "2026-02-31")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"寄送样品\""), "the title is kept");
    assert!(html.contains("field-error"), "the date is marked");
    assert_eq!(app.query_i64("SELECT count(*) FROM tasks"), 0);
}
