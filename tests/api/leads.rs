//! Leads: entered by hand like any record, followed up, and converted in one step into a
//! company, a contact and a deal, reusing a company the duplicate check finds, keeping the
//! lead's follow-ups.

use crate::helpers::*;
use reqwest::StatusCode;

async fn lead(app: &TestApp, fields: &[(&str, &str)]) -> i64 {
    create_record(app, "leads", fields).await
}

async fn convert(
    app: &TestApp,
    id: i64,
    stage: i64,
    version: i64,
    amount: &str,
) -> reqwest::Response {
    app.post_form(
        &app.client,
        &format!("/leads/{id}/convert"),
        &[
            ("version", &version.to_string()),
            ("company", "new"),
            ("company_name", "东方电子有限公司"),
            ("contact", "new"),
            ("make_deal", "1"),
            ("deal_name", "东方电子 首单"),
            ("deal_stage", &stage.to_string()),
            ("amount", amount),
            ("expected_close", ""),
        ],
    )
    .await
}

#[tokio::test]
async fn a_lead_converts_into_company_contact_and_deal_keeping_its_history() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let id = lead(
        &app,
        &[
            ("name", "李娜"),
            ("company_name", "东方电子有限公司"),
            ("status", "new"),
            ("mobile", "+86 138-0013-8000"),
            ("source", "website"),
            ("province", "上海"),
        ],
    )
    .await;
    let r = app
        .post_form(
            &app.client,
            &format!("/leads/{id}/followups"),
            &[
                ("kind", "call"),
                ("body", "想了解报价"),
                ("outcome", ""),
                ("next_follow_up", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_html(&format!("/leads/{id}/convert")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(input_value(&html, "company_name"), "东方电子有限公司");
    let stage = app.query_i64("SELECT id FROM stages WHERE name = '需求确认'");
    let version = app.query_i64(&format!("SELECT version FROM leads WHERE id = {id}"));
    // A bad amount comes back with everything typed.
    let r = convert(&app, id, stage, version, "abc").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(input_value(&html, "deal_name"), "东方电子 首单");
    assert_eq!(
        app.query_i64("SELECT count(*) FROM companies"),
        0,
        "nothing half-done"
    );
    let r = convert(&app, id, stage, version, "88,000").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let company = app.query_i64("SELECT id FROM companies WHERE name = '东方电子有限公司'");
    let contact = app.query_i64("SELECT id FROM contacts WHERE name = '李娜'");
    assert_eq!(
        app.query_i64(&format!(
            "SELECT company_id FROM contacts WHERE id = {contact}"
        )),
        company
    );
    assert_eq!(
        app.query_string("SELECT mobile FROM contacts WHERE name = '李娜'"),
        "+8613800138000"
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM deals WHERE company_id = {company} AND contact_id = {contact} AND amount = 8800000"
        )),
        1
    );
    assert_eq!(
        app.query_string(&format!("SELECT status FROM leads WHERE id = {id}")),
        "converted"
    );
    // The lead's follow-up is on the customer's timeline now.
    let (_, html) = app.get_html(&format!("/companies/{company}")).await;
    assert!(html.contains("想了解报价") && html.contains("东方电子 首单"));
    let changes = app.latest_changes("lead.convert");
    assert!(changes.contains("converted"), "{changes}");
    // Once is enough.
    let r = convert(&app, id, stage, version, "1").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn conversion_offers_the_company_the_duplicate_check_finds() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let existing = create_record(
        &app,
        "companies",
        &[("name", "华星科技有限公司"), ("status", "customer")],
    )
    .await;
    let id = lead(
        &app,
        &[
            ("name", "王强"),
            ("company_name", "华星科技"),
            ("status", "working"),
        ],
    )
    .await;
    let (_, html) = app.get_html(&format!("/leads/{id}/convert")).await;
    assert!(
        html.contains(&format!("value=\"{existing}\" checked")),
        "{html}"
    );
    let version = app.query_i64(&format!("SELECT version FROM leads WHERE id = {id}"));
    let r = app
        .post_form(
            &app.client,
            &format!("/leads/{id}/convert"),
            &[
                ("version", &version.to_string()),
                ("company", &existing.to_string()),
                ("company_name", "华星科技"),
                ("contact", "new"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.query_i64("SELECT count(*) FROM companies"), 1);
    assert_eq!(app.query_i64("SELECT count(*) FROM deals"), 0);
    assert_eq!(
        app.query_i64("SELECT company_id FROM contacts WHERE name = '王强'"),
        existing
    );
}

#[tokio::test]
async fn a_sales_rep_sees_only_their_own_leads() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let rep = app
        .create_user("rep@huaxing.cn", "小王", "sales", PASSWORD)
        .await;
    lead(&app, &[("name", "别人的线索"), ("status", "new")]).await;
    let mine = lead(
        &app,
        &[
            ("name", "我的线索"),
            ("status", "new"),
            ("owner_id", &rep.to_string()),
        ],
    )
    .await;
    let c = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let (status, html) = app.get_html_as(&c, "/leads").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("我的线索") && !html.contains("别人的线索"));
    let other = app.query_i64("SELECT id FROM leads WHERE name = '别人的线索'");
    assert_eq!(
        app.get_as(&c, &format!("/leads/{other}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(&c, &format!("/leads/{mine}/convert"))
            .await
            .status(),
        StatusCode::OK
    );
}
