//! The product catalog: create, edit, deactivate (never delete), a unique SKU, the list's
//! filters, and who may change it.

use crate::helpers::*;
use reqwest::StatusCode;

async fn add_product(app: &TestApp, sku: &str, name: &str, price: &str, tax: &str) -> i64 {
    let r = app
        .post_form(
            &app.client,
            "/products/new",
            &[
                ("sku", sku),
                ("name", name),
                ("unit", "台"),
                ("price", price),
                ("tax_rate", tax),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "product {sku} not created"
    );
    id_from(&location(&r))
}

#[tokio::test]
async fn products_are_created_edited_and_deactivated_with_every_step_audited() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;

    // Act: create, then change the price and tax rate.
    let id = add_product(&app, "SRV-2U", "机架服务器", "12,800.50", "13").await;
    let (_, form) = app.get_html(&format!("/products/{id}")).await;
    let version = input_value(&form, "version");
    let r = app
        .post_form(
            &app.client,
            &format!("/products/{id}"),
            &[
                ("sku", "SRV-2U"),
                ("name", "机架服务器 2U"),
                ("unit", "台"),
                ("price", "12999.99"),
                ("tax_rate", "6.5"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Assert: stored exactly, in minor units and hundredths of a percent.
    let row: (String, i64, i64, i64) = app
        .db()
        .query_row(
            "SELECT name, price, tax_rate, active FROM products WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(row, ("机架服务器 2U".to_string(), 1_299_999, 650, 1));
    let (_, list) = app.get_html("/products").await;
    assert!(
        list.contains("12,999.99") && list.contains("6.5%"),
        "{list}"
    );

    // Act: deactivate.
    let r = app
        .post_form(
            &app.client,
            &format!("/products/{id}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Assert: kept, but off the active list and on the inactive one.
    assert_eq!(
        app.query_i64(&format!("SELECT active FROM products WHERE id = {id}")),
        0
    );
    let (_, active) = app.get_html("/products").await;
    assert!(!active.contains("机架服务器"));
    let (_, inactive) = app.get_html("/products?status=inactive").await;
    assert!(inactive.contains("机架服务器"));
    let actions = app.audit_actions();
    for a in ["product.create", "product.update", "product.deactivate"] {
        assert!(
            actions.contains(&a.to_string()),
            "{a} not audited: {actions:?}"
        );
    }
    let changes = app.latest_changes("product.update");
    assert!(
        changes.contains("12999.99") && changes.contains("6.5"),
        "{changes}"
    );

    // A stale form is refused with the input kept, not saved over the newer version.
    let r = app
        .post_form(
            &app.client,
            &format!("/products/{id}"),
            &[
                ("sku", "SRV-2U"),
                ("name", "过时的表单"),
                ("price", "1"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("过时的表单"));
}

#[tokio::test]
async fn a_duplicate_sku_is_refused_with_the_form_kept_and_the_field_marked() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    add_product(&app, "LIC-100", "软件许可", "800", "6").await;

    // Act: the same SKU in another case.
    let r = app
        .post_form(
            &app.client,
            "/products/new",
            &[
                ("sku", "lic-100"),
                ("name", "另一个许可"),
                ("price", "12.345"),
                ("tax_rate", "6"),
            ],
        )
        .await;

    // Assert: 422 with the input as typed; both problems named; nothing saved.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html), ["price"]);
    assert!(html.contains("value=\"lic-100\"") && html.contains("另一个许可"));
    let r = app
        .post_form(
            &app.client,
            "/products/new",
            &[
                ("sku", "lic-100"),
                ("name", "另一个许可"),
                ("price", "12.34"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(marked_fields(&html), ["sku"]);
    assert!(html.contains(&text("product.error.sku_taken")));
    assert_eq!(app.query_i64("SELECT count(*) FROM products"), 1);
}

#[tokio::test]
async fn the_list_searches_names_and_skus_and_sales_may_read_but_not_change_it() {
    // Arrange
    let app = spawn_app().await;
    app.complete_setup().await;
    add_product(&app, "NET-SW24", "交换机", "2300", "13").await;
    add_product(&app, "SVC-INSTALL", "上门安装服务", "500", "6").await;
    let p = add_product(&app, "SVC-TRAIN", "培训服务", "1500", "6").await;
    app.create_user("rep@huaxing.cn", "销售小李", "sales", PASSWORD)
        .await;
    let rep = app.signed_in_client("rep@huaxing.cn", PASSWORD).await;

    // Act / Assert: search by part of a name (Chinese) and of a SKU (any case).
    let (_, html) = app.get_html("/products?q=服务").await;
    assert!(html.contains("上门安装服务") && html.contains("培训服务"));
    assert!(!html.contains("交换机"));
    let (_, html) = app.get_html("/products?q=sw24").await;
    assert!(html.contains("交换机") && !html.contains("培训服务"));

    // A sales rep reads the catalog but cannot add to or change it.
    let (status, html) = app.get_html_as(&rep, "/products").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("交换机") && !html.contains("/products/new"));
    assert_eq!(
        app.get_as(&rep, "/products/new").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(&rep, &format!("/products/{p}/active"), &[("active", "0")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.query_i64(&format!("SELECT active FROM products WHERE id = {p}")),
        1
    );
}
