//! Quotes: exact totals on awkward numbers, numbering per year, catalog lines, the approval
//! flow with its notifications, data scopes, and forms that keep their input.

use crate::helpers::*;
use reqwest::{Client, StatusCode};

/// A live deal owned by `owner`, inserted directly so these tests depend only on the `deals`
/// table, not on the deal pages.
fn insert_deal(app: &TestApp, name: &str, company: i64, owner: i64) -> i64 {
    let db = app.db();
    let now = "2026-01-05T08:00:00.000Z";
    db.execute(
        "INSERT OR IGNORE INTO pipelines (name, position, created_at, updated_at)
         VALUES ('报价测试流程', 99, ?1, ?1)",
        [now],
    )
    .unwrap();
    let pipeline: i64 = db
        .query_row(
            "SELECT id FROM pipelines WHERE name = '报价测试流程'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "INSERT OR IGNORE INTO stages (pipeline_id, name, position, probability)
         VALUES (?1, '方案报价', 0, 40)",
        [pipeline],
    )
    .unwrap();
    let stage: i64 = db
        .query_row(
            "SELECT id FROM stages WHERE pipeline_id = ?1 AND name = '方案报价'",
            [pipeline],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "INSERT INTO deals (name, company_id, pipeline_id, stage_id, owner_id, currency,
                            stage_entered_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'CNY', ?6, ?6, ?6)",
        rusqlite::params![name, company, pipeline, stage, owner, now],
    )
    .unwrap();
    db.last_insert_rowid()
}

async fn company(app: &TestApp, name: &str, owner: i64) -> i64 {
    create_record(
        app,
        "companies",
        &[
            ("name", name),
            ("status", "prospect"),
            ("owner_id", &owner.to_string()),
        ],
    )
    .await
}

/// Posts a new quote for `deal` as `c`; `fields` are the editor's (header and `line-N-*`).
async fn post_quote(
    app: &TestApp,
    c: &Client,
    deal: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let deal = deal.to_string();
    let mut all = vec![("deal", deal.as_str()), ("action", "save")];
    all.extend_from_slice(fields);
    app.post_form(c, "/quotes/new", &all).await
}

async fn new_quote(app: &TestApp, c: &Client, deal: i64, fields: &[(&str, &str)]) -> i64 {
    let r = post_quote(app, c, deal, fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "quote not created");
    id_from(&location(&r))
}

fn status_of(app: &TestApp, quote: i64) -> String {
    app.query_string(&format!("SELECT status FROM quotes WHERE id = {quote}"))
}

async fn step(
    app: &TestApp,
    c: &Client,
    quote: i64,
    what: &str,
    comment: &str,
) -> reqwest::Response {
    app.post_form(
        c,
        &format!("/quotes/{quote}/{what}"),
        &[("comment", comment)],
    )
    .await
}

/// One line with a 25% discount: above the default threshold of 20%.
const DISCOUNTED: &[(&str, &str)] = &[
    ("line-0-name", "年度维保服务"),
    ("line-0-quantity", "2"),
    ("line-0-price", "1000"),
    ("line-0-discount", "25"),
    ("line-0-tax_rate", "6"),
];

#[tokio::test]
async fn totals_on_awkward_numbers_are_exact_in_the_page_and_the_database() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let admin = app.user_id(ADMIN_EMAIL);
    let deal = insert_deal(
        &app,
        "机房改造",
        company(&app, "华东电力", admin).await,
        admin,
    );

    // Act: 3 × 33.33 less 15% at 13% tax; 0.333 × 1.50; 0.5 × 0.01 (exactly half a cent);
    // 7.5% off the whole quote.
    let id = new_quote(
        &app,
        &app.client,
        deal,
        &[
            ("discount", "7.5"),
            ("line-0-name", "光纤跳线"),
            ("line-0-quantity", "3"),
            ("line-0-price", "33.33"),
            ("line-0-discount", "15"),
            ("line-0-tax_rate", "13"),
            ("line-1-name", "线缆（米）"),
            ("line-1-quantity", "0.333"),
            ("line-1-price", "1.50"),
            ("line-3-name", "标签"),
            ("line-3-quantity", "0.5"),
            ("line-3-price", "0.01"),
        ],
    )
    .await;

    // Assert: per line, rounded half away from zero to the fen, then plain sums.
    // Line 1: 84.9915 → 84.99; 7.5% of it 6.37425 → 6.37; 13% of 78.62 = 10.2206 → 10.22.
    // Line 2: 0.4995 → 0.50; 7.5% → 0.0375 → 0.04. Line 3: 0.005 → 0.01; 7.5% → 0.00.
    let lines: Vec<(i64, i64, i64, i64)> = {
        let db = app.db();
        let mut stmt = db
            .prepare("SELECT quantity, amount, overall_discount, tax FROM quote_lines WHERE quote_id = ?1 ORDER BY position")
            .unwrap();
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        lines,
        [(3000, 8499, 637, 1022), (333, 50, 4, 0), (500, 1, 0, 0)]
    );
    let totals: (i64, i64, i64, i64) = app
        .db()
        .query_row(
            "SELECT subtotal, discount_amount, tax, total FROM quotes WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(totals, (8550, 641, 1022, 8931));
    let (status, html) = app.get_html(&format!("/quotes/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "data-total=\"subtotal\">85.50<",
        "data-total=\"discount\">−6.41<",
        "data-total=\"tax\">10.22<",
        "data-total=\"total\">89.31<",
        ">84.99<",
        ">0.333<",
    ] {
        assert!(html.contains(shown), "{shown} not on the page");
    }
    let (status, print) = app.get_html(&format!("/quotes/{id}/print")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("89.31") && print.contains("华东电力") && print.contains(COMPANY));
    assert!(app.audit_actions().contains(&"quote.create".to_string()));
}

#[tokio::test]
async fn quotes_are_numbered_in_sequence_per_year_even_when_created_at_once() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let admin = app.user_id(ADMIN_EMAIL);
    let deal = insert_deal(
        &app,
        "年度采购",
        company(&app, "北方重工", admin).await,
        admin,
    );
    let line = [
        ("line-0-name", "咨询"),
        ("line-0-quantity", "1"),
        ("line-0-price", "100"),
    ];
    let token = app.csrf(&app.client).await;

    // Act: one, then five at the same time.
    new_quote(&app, &app.client, deal, &line).await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (c, url, token) = (app.client.clone(), app.url("/quotes/new"), token.clone());
        let deal = deal.to_string();
        tasks.push(tokio::spawn(async move {
            let mut form = vec![
                ("deal", deal.as_str()),
                ("action", "save"),
                ("csrf", token.as_str()),
            ];
            form.extend_from_slice(&line);
            c.post(url).form(&form).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::SEE_OTHER);
    }

    // Assert: Q-YEAR-0001 … 0006, no gaps, no duplicates.
    use chrono::Datelike;
    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .year();
    let numbers: Vec<String> = {
        let db = app.db();
        let mut stmt = db
            .prepare("SELECT number FROM quotes ORDER BY number")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let expected: Vec<String> = (1..=6).map(|n| format!("Q-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

/// A sales team: a rep reporting to manager A; manager B in the same department (so sees
/// the rep's quotes) but not the rep's manager; another rep in another department.
struct Team {
    app: TestApp,
    rep: Client,
    manager: Client,
    other_manager: Client,
    other_rep: Client,
    manager_id: i64,
    rep_id: i64,
    deal: i64,
}

async fn team() -> Team {
    let app = spawn_app().await;
    app.complete_setup().await;
    for (name, parent) in [("销售部", ""), ("华南区", "")] {
        let r = app
            .post_form(
                &app.client,
                "/admin/departments",
                &[("name", name), ("parent_id", parent)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let dept = |n: &str| app.query_i64(&format!("SELECT id FROM departments WHERE name = '{n}'"));
    let (sales, south) = (dept("销售部"), dept("华南区"));
    let manager_id = app
        .create_user("ma@huaxing.cn", "陈经理", "manager", PASSWORD)
        .await;
    let mb = app
        .create_user("mb@huaxing.cn", "林经理", "manager", PASSWORD)
        .await;
    let rep_id = app
        .create_user("rep@huaxing.cn", "销售小王", "sales", PASSWORD)
        .await;
    let other = app
        .create_user("rep2@huaxing.cn", "销售小赵", "sales", PASSWORD)
        .await;
    for (user, dept, manager) in [
        (manager_id, sales, String::new()),
        (mb, sales, String::new()),
        (rep_id, sales, manager_id.to_string()),
        (other, south, String::new()),
    ] {
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
    let deal = insert_deal(
        &app,
        "云平台扩容",
        company(&app, "南方航空物流", rep_id).await,
        rep_id,
    );
    let signed = |e: &'static str| app.signed_in_client(e, PASSWORD);
    Team {
        rep: signed("rep@huaxing.cn").await,
        manager: signed("ma@huaxing.cn").await,
        other_manager: signed("mb@huaxing.cn").await,
        other_rep: signed("rep2@huaxing.cn").await,
        manager_id,
        rep_id,
        deal,
        app,
    }
}

fn notifications(app: &TestApp, user: i64, kind: &str) -> Vec<String> {
    let db = app.db();
    let mut stmt = db
        .prepare("SELECT params || ' ' || link FROM notifications WHERE user_id = ?1 AND kind = ?2")
        .unwrap();
    stmt.query_map(rusqlite::params![user, kind], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_discount_over_the_threshold_is_approved_by_the_reps_manager_before_it_is_sent() {
    // Arrange
    let t = team().await;
    let app = &t.app;
    let q = new_quote(app, &t.rep, t.deal, DISCOUNTED).await;
    let number = app.query_string(&format!("SELECT number FROM quotes WHERE id = {q}"));

    // Act / Assert: it cannot be sent before approval.
    let r = step(app, &t.rep, q, "send", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&text("quote.error.needs_approval"))
    );
    assert_eq!(status_of(app, q), "draft");

    // Submitting asks the rep's manager and notifies them in-app.
    let r = step(app, &t.rep, q, "submit", "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(app, q), "pending");
    let sent = notifications(app, t.manager_id, "quote_approval");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(&number) && sent[0].contains("云平台扩容"));
    assert!(sent[0].ends_with(&format!("/quotes/{q}")));
    assert_eq!(
        step(app, &t.rep, q, "send", "").await.status(),
        StatusCode::CONFLICT
    );

    // Someone else who can see it cannot decide: another manager, the rep.
    assert_eq!(
        step(app, &t.other_manager, q, "approve", "").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        step(app, &t.rep, q, "approve", "").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(status_of(app, q), "pending");

    // A rejection needs a comment; with one, the rep is told.
    let r = step(app, &t.manager, q, "reject", "  ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(app, q), "pending");
    let r = step(app, &t.manager, q, "reject", "折扣太大，最多 20%").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(app, q), "rejected");
    assert_eq!(notifications(app, t.rep_id, "quote_rejected").len(), 1);
    let (_, page) = app.get_html_as(&t.rep, &format!("/quotes/{q}")).await;
    assert!(page.contains("折扣太大，最多 20%"));

    // Edited, it is a draft again; submitted again and approved.
    let version = app
        .query_i64(&format!("SELECT version FROM quotes WHERE id = {q}"))
        .to_string();
    let mut edit: Vec<(&str, &str)> = DISCOUNTED.to_vec();
    edit.push(("version", &version));
    edit.push(("action", "save"));
    edit[1] = ("line-0-quantity", "3");
    let r = app
        .post_form(&t.rep, &format!("/quotes/{q}/edit"), &edit)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(app, q), "draft");
    assert_eq!(
        step(app, &t.rep, q, "submit", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(app, &t.manager, q, "approve", "同意").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(app, q), "approved");
    assert_eq!(notifications(app, t.rep_id, "quote_approved").len(), 1);

    // Editing an approved quote voids the approval.
    let version = app
        .query_i64(&format!("SELECT version FROM quotes WHERE id = {q}"))
        .to_string();
    let mut edit: Vec<(&str, &str)> = DISCOUNTED.to_vec();
    edit.push(("version", &version));
    edit.push(("action", "save"));
    let r = app
        .post_form(&t.rep, &format!("/quotes/{q}/edit"), &edit)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(app, q), "draft");
    assert_eq!(
        step(app, &t.rep, q, "send", "").await.status(),
        StatusCode::CONFLICT
    );

    // Approved again, it is sent, then accepted; a sent quote is no longer edited.
    step(app, &t.rep, q, "submit", "").await;
    step(app, &t.manager, q, "approve", "").await;
    assert_eq!(
        step(app, &t.rep, q, "send", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(app, q), "sent");
    assert_eq!(
        app.get_as(&t.rep, &format!("/quotes/{q}/edit"))
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        step(app, &t.rep, q, "accept", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(app, q), "accepted");

    // The history and the audit log tell the whole story.
    let events: Vec<String> = {
        let db = app.db();
        let mut stmt = db
            .prepare("SELECT action FROM quote_events WHERE quote_id = ?1 ORDER BY id")
            .unwrap();
        stmt.query_map([q], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        events,
        [
            "submitted",
            "rejected",
            "reopened",
            "submitted",
            "approved",
            "reopened",
            "submitted",
            "approved",
            "sent",
            "accepted"
        ]
    );
    let actions = app.audit_actions();
    for a in [
        "quote.submit",
        "quote.reject",
        "quote.approve",
        "quote.update",
        "quote.send",
        "quote.accept",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} not audited");
    }
}

#[tokio::test]
async fn an_admin_sets_the_threshold_and_a_quote_within_it_is_sent_without_approval() {
    // Arrange
    let t = team().await;
    let app = &t.app;
    let r = app
        .post_form(&app.client, "/admin/quotes", &[("threshold", "30")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.query_i64("SELECT quote_approval_threshold FROM company_profile"),
        3000
    );
    assert_eq!(
        app.post_form(&t.manager, "/admin/quotes", &[("threshold", "90")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Act: 25% is now within the threshold.
    let q = new_quote(app, &t.rep, t.deal, DISCOUNTED).await;
    let r = step(app, &t.rep, q, "submit", "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "no approval to ask for");
    let r = step(app, &t.rep, q, "send", "").await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(app, q), "sent");
    assert!(notifications(app, t.manager_id, "quote_approval").is_empty());
}

#[tokio::test]
async fn a_rep_outside_the_scope_gets_404_on_another_reps_quote() {
    // Arrange
    let t = team().await;
    let app = &t.app;
    let q = new_quote(app, &t.rep, t.deal, DISCOUNTED).await;

    // Act / Assert: every path answers as if it did not exist.
    for path in [
        format!("/quotes/{q}"),
        format!("/quotes/{q}/print"),
        format!("/quotes/{q}/edit"),
    ] {
        assert_eq!(
            app.get_as(&t.other_rep, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for what in ["submit", "send", "approve"] {
        assert_eq!(
            step(app, &t.other_rep, q, what, "").await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        app.get_as(&t.other_rep, &format!("/quotes/new?deal={}", t.deal))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let number = app.query_string(&format!("SELECT number FROM quotes WHERE id = {q}"));
    let (_, list) = app.get_html_as(&t.other_rep, "/quotes").await;
    assert!(!list.contains(&number));
    // The rep's manager sees it in the list.
    let (_, list) = app.get_html_as(&t.manager, "/quotes").await;
    assert!(list.contains(&number));
    assert_eq!(status_of(app, q), "draft");
}

#[tokio::test]
async fn a_form_error_comes_back_with_the_input_kept_and_the_cells_marked() {
    // Arrange
    let t = team().await;
    let app = &t.app;

    // Act
    let r = post_quote(
        app,
        &t.rep,
        t.deal,
        &[
            ("discount", "7.5"),
            ("notes", "含税价，30 天内有效"),
            ("line-0-name", "咨询服务"),
            ("line-0-quantity", "1.2345"),
            ("line-0-price", "abc"),
            ("line-1-name", "差旅"),
            ("line-1-quantity", "2"),
            ("line-1-price", "300"),
        ],
    )
    .await;

    // Assert
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html), ["line-0-quantity", "line-0-price"]);
    for kept in [
        "value=\"1.2345\"",
        "value=\"abc\"",
        "咨询服务",
        "差旅",
        "含税价，30 天内有效",
        "value=\"7.5\"",
    ] {
        assert!(html.contains(kept), "{kept} was not kept");
    }
    assert!(html.contains(&text("quote.error.line_quantity")));
    assert_eq!(app.query_i64("SELECT count(*) FROM quotes"), 0);
}

#[tokio::test]
async fn a_catalog_line_copies_the_product_and_add_rows_recalculates_without_saving() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    let admin = app.user_id(ADMIN_EMAIL);
    let deal = insert_deal(
        &app,
        "门店网络",
        company(&app, "喜乐超市", admin).await,
        admin,
    );
    let r = app
        .post_form(
            &app.client,
            "/products/new",
            &[
                ("sku", "AP-6"),
                ("name", "无线接入点"),
                ("unit", "台"),
                ("price", "899.90"),
                ("tax_rate", "13"),
            ],
        )
        .await;
    let product = id_from(&location(&r)).to_string();

    // Act: "add rows" with just the product and a quantity.
    let fields = [
        ("line-0-product", product.as_str()),
        ("line-0-quantity", "2"),
    ];
    let deal_id = deal.to_string();
    let mut form = vec![("deal", deal_id.as_str()), ("action", "rows")];
    form.extend_from_slice(&fields);
    let r = app.post_form(&app.client, "/quotes/new", &form).await;

    // Assert: shown filled in and priced, nothing saved.
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"无线接入点\"") && html.contains("value=\"899.90\""));
    assert!(html.contains(">1,799.80<"), "the row's amount");
    assert_eq!(app.query_i64("SELECT count(*) FROM quotes"), 0);

    // Saved, the line keeps the catalog values of the time.
    let q = new_quote(&app, &app.client, deal, &fields).await;
    let r = app
        .post_form(
            &app.client,
            &format!("/products/{product}"),
            &[
                ("sku", "AP-6"),
                ("name", "无线接入点"),
                ("price", "999"),
                ("tax_rate", "13"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let line: (String, String, i64, i64, i64) = app
        .db()
        .query_row(
            "SELECT sku, unit, price, tax_rate, amount FROM quote_lines WHERE quote_id = ?1",
            [q],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        line,
        ("AP-6".to_string(), "台".to_string(), 89_990, 1300, 179_980)
    );
    // Tax 13% of 1,799.80 = 233.974 → 233.97.
    assert_eq!(
        app.query_i64(&format!("SELECT total FROM quotes WHERE id = {q}")),
        179_980 + 23_397
    );
}
