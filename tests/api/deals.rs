//! Deals on a pipeline: creation with exact amounts, the board with its totals, stage moves
//! (form, script, lost reasons, version conflicts) audited with a stage history, the
//! pipeline editor, scopes on the board, and the forecast.

use crate::helpers::*;
use reqwest::StatusCode;

fn stage(app: &TestApp, name: &str) -> i64 {
    app.query_i64(&format!("SELECT id FROM stages WHERE name = '{name}'"))
}

async fn company(app: &TestApp, name: &str) -> i64 {
    create_record(app, "companies", &[("name", name), ("status", "prospect")]).await
}

async fn deal(app: &TestApp, name: &str, company: &str, stage_id: i64, amount: &str) -> i64 {
    create_record(
        app,
        "deals",
        &[
            ("name", name),
            ("company_id", company),
            ("stage_id", &stage_id.to_string()),
            ("amount", amount),
            ("currency", "CNY"),
            ("expected_close", "2026-12-15"),
        ],
    )
    .await
}

#[tokio::test]
async fn setup_gives_a_pipeline_in_the_company_language_and_deals_keep_exact_amounts() {
    let app = spawn_app().await;
    app.complete_setup().await;
    assert_eq!(app.query_i64("SELECT count(*) FROM pipelines"), 1);
    assert_eq!(app.query_string("SELECT name FROM pipelines"), "销售流程");
    let first = stage(&app, "初步接洽");
    company(&app, "华星科技有限公司").await;
    let id = deal(&app, "华星 ERP 二期", "华星科技", first, "1,234,567.89").await;
    assert_eq!(
        app.query_i64(&format!("SELECT amount FROM deals WHERE id = {id}")),
        123_456_789
    );
    let (status, html) = app.get_html(&format!("/deals/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1,234,567.89"), "amount shown grouped");
    assert!(
        html.contains("Win probability 10%"),
        "probability of the stage"
    );
    // The company's 360° page lists its deal.
    let company_id = app.query_i64("SELECT company_id FROM deals");
    let (_, html) = app.get_html(&format!("/companies/{company_id}")).await;
    assert!(html.contains("华星 ERP 二期"));
    // Bad amounts come back with the input and the field marked.
    let r = app
        .post_form(
            &app.client,
            "/deals/new",
            &[
                ("name", "坏金额"),
                ("company_id", "华星科技"),
                ("stage_id", &first.to_string()),
                ("amount", "12.345"),
                ("currency", "CNY"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html), vec!["amount"]);
    assert_eq!(input_value(&html, "name"), "坏金额");
    // A deal needs an existing company.
    let r = app
        .post_form(
            &app.client,
            "/deals/new",
            &[
                ("name", "无客户"),
                ("company_id", "不存在的公司"),
                ("stage_id", &first.to_string()),
                ("amount", "100"),
                ("currency", "CNY"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn moves_are_audited_with_a_stage_history_and_lost_needs_a_reason() {
    let app = spawn_app().await;
    app.complete_setup().await;
    company(&app, "华星科技").await;
    let (first, proposal, lost) = (
        stage(&app, "初步接洽"),
        stage(&app, "方案报价"),
        stage(&app, "输单"),
    );
    let id = deal(&app, "年度维保", "华星科技", first, "50000").await;
    let version =
        |app: &TestApp| app.query_i64(&format!("SELECT version FROM deals WHERE id = {id}"));
    // The no-JavaScript selector: a form post that comes back to the board.
    let v = version(&app).to_string();
    let r = app
        .post_form(
            &app.client,
            &format!("/deals/{id}/stage"),
            &[
                ("stage_id", &proposal.to_string()),
                ("version", &v),
                ("next", "/deals/board"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/deals/board")
    );
    let changes = app.latest_changes("deal.update");
    assert!(
        changes.contains("销售流程 / 初步接洽") && changes.contains("销售流程 / 方案报价"),
        "{changes}"
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM deal_stages WHERE deal_id = {id}"
        )),
        2
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM deal_stages WHERE deal_id = {id} AND left_at IS NULL"
        )),
        1
    );
    // An old version is refused, with JSON for the board's script.
    let csrf = app.csrf(&app.client).await;
    let r = app
        .client
        .post(app.url(&format!("/deals/{id}/stage")))
        .header("Accept", "application/json")
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage_id", &first.to_string()),
            ("version", &v),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["ok"], false);
    // Lost without a reason: refused; the form gets a page to complete the move.
    let v = version(&app).to_string();
    let r = app
        .post_form(
            &app.client,
            &format!("/deals/{id}/stage"),
            &[("stage_id", &lost.to_string()), ("version", &v)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Say why the deal was lost.")
    );
    let r = app
        .client
        .post(app.url(&format!("/deals/{id}/stage")))
        .header("Accept", "application/json")
        .form(&[
            ("csrf", csrf.as_str()),
            ("stage_id", &lost.to_string()),
            ("version", &v),
            ("lost_reason", "价格"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.query_string(&format!("SELECT lost_reason FROM deals WHERE id = {id}")),
        "价格"
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT closed_at IS NOT NULL FROM deals WHERE id = {id}"
        )),
        1
    );
    let (_, html) = app.get_html(&format!("/deals/{id}")).await;
    assert!(html.contains("Stage history") && html.contains("方案报价"));
}

/// An installed app with a sales rep (rep@huaxing.cn) and the company 华星科技.
async fn with_a_rep_and_a_company() -> (TestApp, i64) {
    let app = spawn_app().await;
    app.complete_setup().await;
    let rep = app
        .create_user("rep@huaxing.cn", "小王", "sales", PASSWORD)
        .await;
    company(&app, "华星科技").await;
    (app, rep)
}

#[tokio::test]
async fn the_board_adds_up_each_column_within_the_viewers_scope() {
    let (app, rep) = with_a_rep_and_a_company().await;
    let first = stage(&app, "初步接洽");
    let negotiation = stage(&app, "商务谈判");
    for (name, amount) in [("A", "100.10"), ("B", "200.20")] {
        deal(&app, name, "华星科技", negotiation, amount).await;
    }
    let mine = create_record(
        &app,
        "deals",
        &[
            ("name", "小王的商机"),
            ("company_id", "华星科技"),
            ("stage_id", &first.to_string()),
            ("amount", "999"),
            ("currency", "CNY"),
            ("owner_id", &rep.to_string()),
        ],
    )
    .await;
    let (status, html) = app.get_html("/deals/board").await;
    assert_eq!(status, StatusCode::OK);
    // 300.30 at 80% is 240.24.
    assert!(
        html.contains("CNY 300.30") && html.contains("≈ 240.24"),
        "totals"
    );
    assert!(html.contains("小王的商机"));
    // The rep sees only their own deal, and the totals count only it.
    let c = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let (status, html) = app.get_html_as(&c, "/deals/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("小王的商机") && !html.contains("CNY 300.30"));
    assert!(!html.contains(">A<") && !html.contains("100.10"));
    // Another rep's deal is not theirs to open or move.
    let other = app.query_i64("SELECT id FROM deals WHERE name = 'A'");
    let r = app.get_as(&c, &format!("/deals/{other}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_form(
            &c,
            &format!("/deals/{other}/stage"),
            &[("stage_id", &first.to_string()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The running totals follow moves, deletions and restores.
    let v = app.query_i64(&format!("SELECT version FROM deals WHERE id = {mine}"));
    app.post_form(
        &c,
        &format!("/deals/{mine}/stage"),
        &[
            ("stage_id", &negotiation.to_string()),
            ("version", &v.to_string()),
        ],
    )
    .await;
    let total = |app: &TestApp| {
        app.query_i64(&format!(
            "SELECT sum(amount) FROM stage_totals WHERE stage_id = {negotiation} AND owner_id >= 0"
        ))
    };
    assert_eq!(total(&app), 10_010 + 20_020 + 99_900);
    let r = app
        .post_form(&app.client, &format!("/deals/{mine}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(total(&app), 10_010 + 20_020);
    app.post_form(&app.client, &format!("/deals/{mine}/restore"), &[])
        .await;
    assert_eq!(total(&app), 10_010 + 20_020 + 99_900);
    // Everyone's row agrees with the owners' rows.
    assert_eq!(
        app.query_i64(&format!(
            "SELECT sum(amount) FROM stage_totals WHERE stage_id = {negotiation} AND owner_id = -1"
        )),
        total(&app)
    );
}

#[tokio::test]
async fn a_deal_shared_with_a_rep_counts_in_their_board_totals_once() {
    let (app, rep) = with_a_rep_and_a_company().await;
    let negotiation = stage(&app, "商务谈判");
    let shared = deal(&app, "共享商机", "华星科技", negotiation, "100.10").await;
    deal(&app, "别人的商机", "华星科技", negotiation, "200.20").await;
    let c = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;
    let (_, before) = app.get_html_as(&c, "/deals/board").await;
    assert!(!before.contains("共享商机") && !before.contains("CNY 100.10"));

    let r = app
        .post_form(
            &app.client,
            &format!("/deals/{shared}/shares"),
            &[("target", &format!("u:{rep}")), ("access", "read")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app.get_html_as(&c, "/deals/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("共享商机") && !html.contains("别人的商机"));
    // 100.10 at 80% is 80.08, in the column's sum (the card shows the amount alone).
    assert!(
        html.contains("<div class=\"col-sum\"><span>CNY 100.10</span>"),
        "the shared deal is counted: {html}"
    );
    assert!(html.contains("≈ 80.08"));
    assert!(
        !html.contains("CNY 300.30") && !html.contains("CNY 200.20"),
        "and nobody else's"
    );
}

#[tokio::test]
async fn admins_edit_stages_and_cannot_remove_one_in_use() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let r = app
        .post_form(
            &app.client,
            "/admin/pipelines/new",
            &[
                ("name", "渠道销售"),
                ("stage0_name", "报备"),
                ("stage0_probability", "20"),
                ("stage0_outcome", "open"),
                ("stage0_stall", "5"),
                ("stage1_name", "签约"),
                ("stage1_probability", "100"),
                ("stage1_outcome", "won"),
                ("stage2_name", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let pipeline = app.query_i64("SELECT id FROM pipelines WHERE name = '渠道销售'");
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM stages WHERE pipeline_id = {pipeline}"
        )),
        2
    );
    company(&app, "华星科技").await;
    let filing = stage(&app, "报备");
    deal(&app, "渠道单", "华星科技", filing, "10").await;
    let version = app.query_i64(&format!(
        "SELECT version FROM pipelines WHERE id = {pipeline}"
    ));
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/pipelines/{pipeline}"),
            &[
                ("name", "渠道销售"),
                ("version", &version.to_string()),
                ("stage0_id", &filing.to_string()),
                ("stage0_name", "报备"),
                ("stage0_probability", "20"),
                ("stage0_outcome", "open"),
                ("stage0_remove", "1"),
                ("stage1_id", &stage(&app, "签约").to_string()),
                ("stage1_name", "签约"),
                ("stage1_probability", "100"),
                ("stage1_outcome", "won"),
                ("stage2_name", "谈判"),
                ("stage2_probability", "60"),
                ("stage2_outcome", "open"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Deals are at this stage; move them first.")
    );
    // Nothing of the refused edit was kept.
    assert_eq!(
        app.query_i64("SELECT count(*) FROM stages WHERE name = '谈判'"),
        0
    );
    // A valid edit renames and reorders, audited with before and after.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/pipelines/{pipeline}"),
            &[
                ("name", "渠道"),
                ("version", &version.to_string()),
                ("stage0_id", &filing.to_string()),
                ("stage0_name", "报备登记"),
                ("stage0_probability", "25"),
                ("stage0_outcome", "open"),
                ("stage0_order", "2"),
                ("stage1_id", &stage(&app, "签约").to_string()),
                ("stage1_name", "签约"),
                ("stage1_probability", "100"),
                ("stage1_outcome", "won"),
                ("stage1_order", "3"),
                ("stage2_name", "初筛"),
                ("stage2_probability", "5"),
                ("stage2_outcome", "open"),
                ("stage2_order", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let order = app.query_string(&format!(
        "SELECT group_concat(name, ',') FROM (SELECT name FROM stages WHERE pipeline_id = {pipeline} ORDER BY position)"
    ));
    assert_eq!(order, "初筛,报备登记,签约");
    let changes = app.latest_changes("pipeline.update");
    assert!(
        changes.contains("报备 (20%, open)") && changes.contains("报备登记 (25%, open)"),
        "{changes}"
    );
    // Not for non-administrators.
    app.create_user("m@huaxing.cn", "经理", "manager", PASSWORD)
        .await;
    let c = app.signed_in_client("m@huaxing.cn", PASSWORD).await;
    let r = app.get_as(&c, "/admin/pipelines").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_forecast_weights_open_deals_by_month_and_owner() {
    let app = spawn_app().await;
    app.complete_setup().await;
    company(&app, "华星科技").await;
    let (proposal, won) = (stage(&app, "方案报价"), stage(&app, "赢单"));
    for (name, stage_id, amount, close) in [
        ("一", proposal, "1000.01", "2026-12-03"),
        ("二", proposal, "2000.00", "2026-12-30"),
        ("三", proposal, "333.33", "2027-01-10"),
        ("已赢", won, "5000", "2026-12-05"),
    ] {
        create_record(
            &app,
            "deals",
            &[
                ("name", name),
                ("company_id", "华星科技"),
                ("stage_id", &stage_id.to_string()),
                ("amount", amount),
                ("currency", "CNY"),
                ("expected_close", close),
            ],
        )
        .await;
    }
    let (status, html) = app.get_html("/deals/forecast?from=2026-12&months=2").await;
    assert_eq!(status, StatusCode::OK);
    // December: 3000.01 at 50% is 1500.005, rounded once to 1,500.01; January 333.33 → 166.67.
    assert!(html.contains("1,500.01"), "{html}");
    assert!(html.contains("166.67"));
    assert!(!html.contains("5,000.00"), "won deals are not forecast");
    // The running totals follow a deletion and a new close date.
    let one = app.query_i64("SELECT id FROM deals WHERE name = '一'");
    app.post_form(&app.client, &format!("/deals/{one}/delete"), &[])
        .await;
    let three = app.query_i64("SELECT id FROM deals WHERE name = '三'");
    app.db()
        .execute(
            "UPDATE deals SET expected_close = '2026-12-20' WHERE id = ?1",
            [three],
        )
        .unwrap();
    let (_, html) = app.get_html("/deals/forecast?from=2026-12&months=2").await;
    // December: 2000.00 + 333.33 at 50% is 1,166.665 → 1,166.67; January is empty.
    assert!(html.contains("1,166.67"), "{html}");
    assert!(!html.contains("1,500.01"));
}

#[tokio::test]
async fn a_follow_up_on_a_deal_shows_on_its_company_and_survives_the_deal_being_purged() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let company_id = company(&app, "华星科技").await;
    let id = deal(&app, "年度维保", "华星科技", stage(&app, "初步接洽"), "800").await;
    app.db()
        .execute(
            "UPDATE deals SET stalled_at = '2026-01-01T00:00:00.000Z' WHERE id = ?1",
            [id],
        )
        .unwrap();
    let r = app
        .post_form(
            &app.client,
            &format!("/deals/{id}/followups"),
            &[
                ("kind", "call"),
                ("body", "确认了维保范围"),
                ("outcome", ""),
                ("next_follow_up", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Following up un-stalls the deal and is on the company's timeline too.
    assert_eq!(
        app.query_i64(&format!(
            "SELECT stalled_at IS NULL AND last_activity_at IS NOT NULL FROM deals WHERE id = {id}"
        )),
        1
    );
    let (_, html) = app.get_html(&format!("/companies/{company_id}")).await;
    assert!(html.contains("确认了维保范围"));
    for step in ["delete", "purge"] {
        let r = app
            .post_form(&app.client, &format!("/deals/{id}/{step}"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}");
    }
    assert_eq!(app.query_i64("SELECT count(*) FROM deals"), 0);
    assert_eq!(
        app.query_i64(
            "SELECT count(*) FROM activities WHERE body = '确认了维保范围' AND deal_id IS NULL"
        ),
        1
    );
}
