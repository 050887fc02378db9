//! The product catalog over the REST API: exact prices, versions, deactivation as deletion,
//! the catalog's rights, and cursor pages.

use crate::api_client::*;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_product_is_added_changed_at_its_version_and_deactivated_by_api() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;

    let r = api
        .post(
            "/api/v1/products",
            json!({"sku": "SRV-1", "name": "云服务器", "unit": "台", "price": "1,299.50", "tax_rate": "13"}),
        )
        .await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let created = data_of(r, StatusCode::CREATED).await;
    assert_eq!(created["price"], "1299.50");
    assert_eq!(created["tax_rate"], "13");
    assert_eq!(created["active"], true);
    assert_eq!(app.query_i64("SELECT price FROM products"), 129950);

    let r = api.get(&location).await;
    assert_eq!(r.headers()["etag"], "\"1\"");
    assert_eq!(data_of(r, StatusCode::OK).await["sku"], "SRV-1");

    let changed = data_of(
        api.patch(&location, Some(1), json!({"price": 99.9})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["price"], "99.90");
    assert_eq!(changed["name"], "云服务器", "fields not sent stay");
    assert_eq!(changed["version"], 2);
    let r = api.patch(&location, Some(1), json!({"price": "1"})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = api.patch(&location, None, json!({"price": "1"})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);

    let r = api.patch(&location, Some(2), json!({"prise": "1"})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["prise"].is_string());
    let r = api
        .post(
            "/api/v1/products",
            json!({"sku": "srv-1", "name": "x", "price": "1.234"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = json_of(r).await["error"]["fields"].clone();
    assert!(fields["price"].is_string(), "{fields}");
    let r = api
        .post(
            "/api/v1/products",
            json!({"sku": "srv-1", "name": "x", "price": "1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["sku"].is_string());

    assert_eq!(api.delete(&location).await.status(), StatusCode::NO_CONTENT);
    let gone = data_of(api.get(&location).await, StatusCode::OK).await;
    assert_eq!(gone["active"], false, "kept for old quotes");
    let active = json_of(api.get("/api/v1/products?active=true").await).await;
    assert!(ids_of(&active).is_empty());
    let back = data_of(
        api.patch(&location, Some(3), json!({"active": true})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(back["active"], true);
    let actions = app.audit_actions();
    for a in [
        "product.create",
        "product.update",
        "product.deactivate",
        "product.activate",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn a_rep_reads_the_catalog_but_may_not_change_it() {
    let app = spawn_app().await;
    let admin = admin_api(&app).await;
    let id = data_of(
        admin
            .post(
                "/api/v1/products",
                json!({"sku": "A", "name": "实施服务", "price": "100"}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let rep = user_api(&app, "rep@huaxing.cn", "李雷", "sales").await;

    let path = format!("/api/v1/products/{id}");
    assert_eq!(rep.get(&path).await.status(), StatusCode::OK);
    let r = rep
        .post(
            "/api/v1/products",
            json!({"sku": "B", "name": "x", "price": "1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(json_of(r).await["error"]["code"], "forbidden");
    let r = rep.patch(&path, Some(1), json!({"price": "1"})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(rep.delete(&path).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 1);
}

#[tokio::test]
async fn catalog_pages_neither_skip_nor_repeat_while_products_are_added() {
    let app = spawn_app().await;
    let api = admin_api(&app).await;
    let mut expected = Vec::new();
    for i in 0..12 {
        let body = json!({"sku": format!("P{i}"), "name": format!("产品{i:02}"), "price": "1"});
        let r = api.post("/api/v1/products", body).await;
        expected.push(
            data_of(r, StatusCode::CREATED).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let seen = all_pages(&api, "/api/v1/products?sort=name", 5, |n| {
        let api = &api;
        async move {
            // One sorts before every page, one after.
            for name in [format!("一{n}"), format!("产品{n:02}a")] {
                let body = json!({"sku": format!("N{name}"), "name": name, "price": "1"});
                api.post("/api/v1/products", body).await;
            }
        }
    })
    .await;
    assert_each_once(&seen, &expected);
    let r = api.get("/api/v1/products?sort=price").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["sort"].is_string());
    let r = api.get("/api/v1/products?acitve=true").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let found = json_of(api.get("/api/v1/products?q=p1").await).await;
    assert_eq!(ids_of(&found).len(), 3, "by SKU: P1, P10, P11");
}
