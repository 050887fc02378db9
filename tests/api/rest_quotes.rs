//! Quotes over the REST API: exact totals from the quote arithmetic, lines from the catalog,
//! versions, the approval state read-only, the quotes page's scope, cursor pages.

use crate::api_client::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn made(api: &Api<'_>, path: &str, body: Value) -> i64 {
    data_of(api.post(path, body).await, StatusCode::CREATED).await["id"]
        .as_i64()
        .unwrap()
}

/// A deal of a new company, made by `api`'s user.
async fn deal(api: &Api<'_>, name: &str) -> i64 {
    let company = made(
        api,
        "/api/v1/companies",
        json!({"name": format!("{name}公司")}),
    )
    .await;
    let deal = json!({"name": name, "company_id": company, "amount": "1000"});
    made(api, "/api/v1/deals", deal).await
}

/// Whole cents of an amount the API wrote as exact decimal text.
fn cents(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is text"));
    let (whole, frac) = s.split_once('.').unwrap();
    assert_eq!(frac.len(), 2, "{s}");
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

#[tokio::test]
async fn a_quote_is_made_and_changed_by_api_with_exact_totals() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let product = json!({"sku": "SRV-1", "name": "云服务器", "unit": "台", "price": "33.33", "tax_rate": "13"});
    let product = made(&api, "/api/v1/products", product).await;
    let deal = deal(&api, "二期扩容").await;

    let lines = json!([
        {"product_id": product, "quantity": "3"},
        {"name": "安装服务", "quantity": "0.5", "price": "1000", "discount": "15", "tax_rate": "6"},
        {"name": "螺丝", "quantity": "3", "price": "0.10"},
    ]);
    let r = api
        .post(
            "/api/v1/quotes",
            json!({"deal_id": deal, "discount": "10", "lines": lines}),
        )
        .await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let q = data_of(r, StatusCode::CREATED).await;
    assert!(q["number"].as_str().unwrap().starts_with("Q-"), "{q}");
    assert_eq!(q["status"], "draft");
    assert_eq!(q["currency"], "CNY");
    let l = q["lines"].as_array().unwrap();
    assert_eq!(l[0]["name"], "云服务器", "copied from the catalog");
    assert_eq!(l[0]["amount"], "99.99");
    assert_eq!(l[1]["amount"], "425.00");
    assert_eq!(l[2]["amount"], "0.30", "no float on the way");
    assert_eq!(q["subtotal"], "525.29");
    let sum = |k: &str| l.iter().map(|x| cents(&x[k])).sum::<i64>();
    assert_eq!(cents(&q["discount_amount"]), sum("overall_discount"));
    assert_eq!(cents(&q["tax"]), sum("tax"));
    assert_eq!(
        cents(&q["total"]),
        cents(&q["subtotal"]) - cents(&q["discount_amount"]) + cents(&q["tax"])
    );
    assert_eq!(
        app.query_i64("SELECT total FROM quotes"),
        cents(&q["total"])
    );
    assert_eq!(data_of(api.get(&location).await, StatusCode::OK).await, q);

    let r = api
        .patch(
            &location,
            Some(1),
            json!({"discount": "25", "lines": [l[0].clone()]}),
        )
        .await;
    let changed = data_of(r, StatusCode::OK).await;
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["subtotal"], "99.99");
    assert_eq!(
        changed["needs_approval"], true,
        "25% is above the 20% threshold"
    );
    assert_eq!(
        changed["status"], "draft",
        "approval happens on the quote page"
    );
    let r = api.patch(&location, Some(1), json!({"notes": "x"})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = api.patch(&location, None, json!({"notes": "x"})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .patch(&location, Some(2), json!({"status": "approved"}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["status"].is_string());
    let bad = json!({"lines": [{"name": "x", "qty": "1", "price": "1"}, {"name": "y", "quantity": "0", "price": "1"}]});
    let r = api.patch(&location, Some(2), bad).await;
    assert!(json_of(r).await["error"]["fields"]["lines.0.qty"].is_string());
    let bad = json!({"lines": [{"name": "y", "quantity": "0", "price": "1.001"}]});
    let e = json_of(api.patch(&location, Some(2), bad).await).await["error"].clone();
    assert!(e["fields"]["lines.0.quantity"].is_string(), "{e}");
    assert!(e["fields"]["lines.0.price"].is_string(), "{e}");
    assert_eq!(
        api.delete(&location).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let actions = app.audit_actions();
    for a in ["quote.create", "quote.update"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    let r = api
        .post("/api/v1/quotes", json!({"deal_id": 99999, "lines": []}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["deal_id"].is_string());
}

#[tokio::test]
async fn quotes_keep_to_the_quote_pages_scope_and_a_sent_quote_is_locked() {
    let app = spawn_app().await;
    let admin = admin_api(&app).await;
    let rep = user_api(&app, "rep@huaxing.cn", "李雷", "sales").await;
    let viewer = user_api(&app, "viewer@huaxing.cn", "韩梅", "viewer").await;
    let line = json!([{"name": "实施", "quantity": "1", "price": "500"}]);
    let theirs_deal = deal(&admin, "总部项目").await;
    let theirs = made(
        &admin,
        "/api/v1/quotes",
        json!({"deal_id": theirs_deal, "lines": line}),
    )
    .await;
    let mine_deal = deal(&rep, "分部项目").await;
    let mine = made(
        &rep,
        "/api/v1/quotes",
        json!({"deal_id": mine_deal, "lines": line}),
    )
    .await;

    let path = format!("/api/v1/quotes/{theirs}");
    assert_eq!(rep.get(&path).await.status(), StatusCode::NOT_FOUND);
    let r = rep.patch(&path, Some(1), json!({"notes": "x"})).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        ids_of(&json_of(rep.get("/api/v1/quotes").await).await),
        [mine]
    );
    let r = rep
        .post(
            "/api/v1/quotes",
            json!({"deal_id": theirs_deal, "lines": line}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a deal not seen"
    );
    assert_eq!(viewer.get(&path).await.status(), StatusCode::OK);
    let r = viewer.patch(&path, Some(1), json!({"notes": "x"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer
        .post(
            "/api/v1/quotes",
            json!({"deal_id": theirs_deal, "lines": line}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let r = app
        .post_form(&app.client, &format!("/quotes/{theirs}/send"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sent = data_of(admin.get(&path).await, StatusCode::OK).await;
    assert_eq!(sent["status"], "sent");
    let version = sent["version"].as_i64().unwrap();
    let r = admin
        .patch(&path, Some(version), json!({"notes": "x"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let filtered = json_of(admin.get("/api/v1/quotes?status=sent").await).await;
    assert_eq!(ids_of(&filtered), [theirs]);
    let of_deal = json_of(
        admin
            .get(&format!("/api/v1/quotes?deal_id={mine_deal}"))
            .await,
    )
    .await;
    assert_eq!(ids_of(&of_deal), [mine]);
}

#[tokio::test]
async fn quote_pages_neither_skip_nor_repeat_while_quotes_are_made() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let deal = deal(&api, "框架协议").await;
    let mut expected = Vec::new();
    for _ in 0..9 {
        expected.push(made(&api, "/api/v1/quotes", json!({"deal_id": deal})).await);
    }
    for sort in ["-created_at", "created_at"] {
        let seen = all_pages(&api, &format!("/api/v1/quotes?sort={sort}"), 4, |_| {
            let api = &api;
            async move {
                api.post("/api/v1/quotes", json!({"deal_id": deal})).await;
            }
        })
        .await;
        assert_each_once(&seen, &expected);
    }
}
