//! Pool settings: administrators only, every change audited with before and after.

use super::*;

#[tokio::test]
async fn only_administrators_manage_pools_and_each_change_is_audited_with_before_and_after() {
    // Arrange
    let t = team().await;
    let a = t.signed_in(REP_A).await;
    let path = format!("/admin/pools/{}", t.pool);
    let version = t
        .app
        .query_i64(&format!("SELECT version FROM pools WHERE id = {}", t.pool))
        .to_string();
    let sales = t
        .app
        .query_i64("SELECT id FROM departments WHERE name = '销售部'")
        .to_string();
    let edit = |days: &'static str| {
        [
            ("name", "销售公海"),
            ("entity", "leads"),
            ("days", days),
            ("claim_limit", "2"),
            ("department_id", sales.as_str()),
            ("active", "1"),
            ("version", version.as_str()),
        ]
    };

    // Act
    let (rep_page, _) = t.app.get_html_as(&a, "/admin/pools").await;
    let rep_post = t.app.post_form(&a, "/admin/pools", &edit("9")).await;
    let refused = t.app.post_form(&t.app.client, &path, &edit("0")).await;
    let saved = t.app.post_form(&t.app.client, &path, &edit("14")).await;

    // Assert
    assert_eq!(rep_page, StatusCode::FORBIDDEN);
    assert_eq!(rep_post.status(), StatusCode::FORBIDDEN);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(&en("pool.error.days")), "{html}");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let changes = t.app.latest_changes("pool.update");
    assert!(
        changes.contains(r#"{"field":"pool_days","before":7,"after":14}"#),
        "{changes}"
    );
    assert_eq!(t.app.audit_ids_where("action = 'pool.create'").len(), 1);
    assert_eq!(t.app.audit_ids_where("action = 'pool.update'").len(), 1);
    let (_, index) = t.app.get_html("/pools").await;
    assert!(index.contains("销售公海"), "{index}");
}
