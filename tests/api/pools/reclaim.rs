//! The reclaim job, run with a chosen clock: quiet records go back, followed-up ones stay,
//! and the record's history shows each move.

use super::*;

#[tokio::test]
async fn a_lead_nobody_follows_up_returns_to_the_pool_after_its_days_and_not_before() {
    // Arrange: a fresh lead of rep A; the pool takes it back after 7 quiet days.
    let t = team().await;
    let id = t.lead("王磊", t.a).await;
    let now = Utc::now();

    // Act
    let early = run(&t.app, now + Duration::days(6));
    let due = run(&t.app, now + Duration::days(7) + Duration::hours(1));
    let again = run(&t.app, now + Duration::days(8));

    // Assert
    assert_eq!(
        early,
        ReclaimReport::default(),
        "six quiet days are not enough"
    );
    assert_eq!((due.leads, due.notifications), (1, 1));
    assert_eq!(again.records(), 0, "a pooled record is not reclaimed twice");
    assert_eq!(t.owner("leads", id), None);
    assert_eq!(t.pool_of("leads", id), Some(t.pool));
    let changes = t.app.latest_changes("lead.reclaim");
    assert!(
        changes.contains(&format!("\"before\":{}", t.a)),
        "{changes}"
    );
    let by_scheduler = t.app.audit_ids_where(&format!(
        "action = 'lead.reclaim' AND entity_id = '{id}' AND actor = 'scheduler' AND actor_id IS NULL"
    ));
    assert_eq!(by_scheduler.len(), 1);
    let (params, link) = t.notification(t.a, "pool_reclaimed").unwrap();
    assert!(
        params.contains("王磊") && params.contains("销售公海"),
        "{params}"
    );
    assert_eq!(link, format!("/pools/{}", t.pool));
    // The pool page lists it with its former owner.
    let b = t.signed_in(REP_B).await;
    let (status, html) = t.app.get_html_as(&b, &format!("/pools/{}", t.pool)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("王磊") && html.contains("张伟"), "{html}");
}

#[tokio::test]
async fn a_follow_up_restarts_the_clock_and_owners_outside_every_pool_keep_their_records() {
    // Arrange: a lead and a company of rep A created ten days ago, a lead of the outsider
    // (no pool watches 客服部), and a company-wide pool for companies.
    let t = team().await;
    let companies = add_pool(&t.app, "客户公海", "companies", "7", "5", "").await;
    let lead = t.lead("刘洋", t.a).await;
    let company = create_record(
        &t.app,
        "companies",
        &[
            ("name", "东方电子"),
            ("status", "prospect"),
            ("owner_id", &t.a.to_string()),
        ],
    )
    .await;
    let theirs = t.lead("赵静", t.outsider).await;
    for (table, id) in [("leads", lead), ("companies", company), ("leads", theirs)] {
        t.backdate(table, id, 10);
    }
    let a = t.signed_in(REP_A).await;
    t.follow_up(&a, "leads", lead).await;
    t.follow_up(&a, "companies", company).await;
    let now = Utc::now();

    // Act
    let soon = run(&t.app, now + Duration::days(1));
    let later = run(&t.app, now + Duration::days(8));

    // Assert
    assert_eq!(soon.records(), 0, "both were followed up today");
    assert_eq!((later.leads, later.companies), (1, 1));
    assert_eq!(t.pool_of("leads", lead), Some(t.pool));
    assert_eq!(t.pool_of("companies", company), Some(companies));
    assert_eq!(t.audits("company.reclaim", company), 1);
    assert_eq!(t.owner("leads", theirs), Some(t.outsider));
}

#[tokio::test]
async fn the_lead_page_history_shows_the_claim_and_the_reclaim() {
    // Arrange: A claims a pooled lead, then lets it go quiet.
    let t = team().await;
    let b = t.signed_in(REP_B).await;
    let id = t.pooled("曹宇", &b).await;
    let a = t.signed_in(REP_A).await;
    assert_eq!(t.claim(&a, id).await.status(), StatusCode::SEE_OTHER);
    run(&t.app, Utc::now() + Duration::days(8));

    // Act
    let (status, html) = t.app.get_html(&format!("/leads/{id}")).await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    for action in ["lead.release", "lead.claim", "lead.reclaim"] {
        assert!(
            html.contains(&en(&format!("action.{action}"))),
            "{action}: {html}"
        );
    }
}
