//! A rep's search asks the index for their own and shared customers' matches: it follows a
//! customer that changes hands by every route (bulk assignment, sharing, the hand-over of
//! a leaver's work), and never shows what left their hands.

use crate::helpers::*;
use reqwest::{Client, StatusCode};

/// Which of the two customers a search for a word in the middle of their names finds (a
/// name starting with the query would be found by name, not through the index).
async fn finds(app: &TestApp, c: &Client, a: i64, b: i64) -> [bool; 2] {
    let (status, html) = app.get_html_as(c, "/search?q=的客户").await;
    assert_eq!(status, StatusCode::OK);
    let html = unescape(&html);
    [a, b].map(|id| html.contains(&format!("/contacts/{id}\"")))
}

#[tokio::test]
async fn a_reps_search_follows_customers_as_they_change_hands() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let ua = app
        .create_user("a@huaxing.cn", "销售甲", "sales", PASSWORD)
        .await;
    let ub = app
        .create_user("b@huaxing.cn", "销售乙", "sales", PASSWORD)
        .await;
    let contact = |name: &'static str, owner: i64| {
        let app = &app;
        async move {
            create_record(
                app,
                "contacts",
                &[
                    ("name", name),
                    ("status", "lead"),
                    ("owner_id", &owner.to_string()),
                ],
            )
            .await
        }
    };
    let a = contact("甲的客户", ua).await;
    let b = contact("乙的客户", ub).await;
    let rep_a = app.signed_in_client("a@huaxing.cn", PASSWORD).await;
    let rep_b = app.signed_in_client("b@huaxing.cn", PASSWORD).await;
    assert_eq!(finds(&app, &rep_a, a, b).await, [true, false]);
    assert_eq!(finds(&app, &rep_b, a, b).await, [false, true]);
    assert_eq!(finds(&app, &app.client, a, b).await, [true, true]);

    // Shared with rep A: found beside A's own customers.
    let r = app
        .post_form(
            &rep_b,
            &format!("/contacts/{b}/shares"),
            &[("target", &format!("u:{ua}")), ("access", "read")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(finds(&app, &rep_a, a, b).await, [true, true]);

    // Given to rep B in bulk: A keeps only the shared one.
    let r = app
        .post_form(
            &app.client,
            "/contacts/bulk",
            &[
                ("action", "assign"),
                ("owner_id", &ub.to_string()),
                ("ids", &a.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(finds(&app, &rep_a, a, b).await, [false, true]);
    assert_eq!(finds(&app, &rep_b, a, b).await, [true, true]);

    // Rep B leaves and hands everything to rep A.
    for (path, field, value) in [
        (
            format!("/admin/users/{ub}/status"),
            "action",
            "disable".to_string(),
        ),
        (format!("/admin/users/{ub}/transfer"), "to", ua.to_string()),
    ] {
        let r = app.post_form(&app.client, &path, &[(field, &value)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(finds(&app, &rep_a, a, b).await, [true, true]);
    assert_eq!(
        app.query_i64("SELECT count(*) FROM search_stale"),
        0,
        "every noted change of owner was written to the index"
    );
}
