//! Moves by hand: claims within the limit and over it, racing claims, releases, and a
//! manager handing records out; who may do which.

use super::*;

#[tokio::test]
async fn a_rep_claims_up_to_the_limit_and_is_told_clearly_when_over_it() {
    // Arrange: three leads in the pool, a limit of two.
    let t = team().await;
    let b = t.signed_in(REP_B).await;
    let first = t.pooled("孙杰", &b).await;
    let second = t.pooled("周婷", &b).await;
    let third = t.pooled("郑浩", &b).await;
    let a = t.signed_in(REP_A).await;

    // Act
    let one = t.claim(&a, first).await.status();
    let two = t.claim(&a, second).await.status();
    let over = t.claim(&a, third).await;

    // Assert
    assert_eq!((one, two), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert_eq!(over.status(), StatusCode::CONFLICT);
    let html = over.text().await.unwrap();
    let message = en("pool.error.limit").replace("{limit}", "2");
    assert!(html.contains(&message), "{html}");
    assert_eq!(t.owner("leads", first), Some(t.a));
    assert_eq!(t.pool_of("leads", first), None);
    assert_eq!(t.pool_of("leads", third), Some(t.pool), "still waiting");
    assert_eq!(t.audits("lead.claim", first), 1);
    let (_, page) = t.app.get_html_as(&a, &format!("/pools/{}", t.pool)).await;
    assert!(
        page.contains(
            &en("pool.held")
                .replace("{held}", "2")
                .replace("{limit}", "2")
        ),
        "{page}"
    );

    // A follow-up on a claimed lead frees its place.
    t.follow_up(&a, "leads", first).await;
    assert_eq!(t.claim(&a, third).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.owner("leads", third), Some(t.a));
}

#[tokio::test]
async fn a_rep_outside_the_pools_department_can_neither_see_nor_claim_from_it() {
    let t = team().await;
    let b = t.signed_in(REP_B).await;
    let id = t.pooled("钱伟", &b).await;
    let outsider = t.signed_in(OUTSIDER).await;

    let (page, _) = t
        .app
        .get_html_as(&outsider, &format!("/pools/{}", t.pool))
        .await;
    let claim = t.claim(&outsider, id).await.status();
    let (_, index) = t.app.get_html_as(&outsider, "/pools").await;

    assert_eq!(page, StatusCode::FORBIDDEN);
    assert_eq!(claim, StatusCode::FORBIDDEN);
    assert!(!index.contains("销售公海"), "{index}");
    assert_eq!(t.pool_of("leads", id), Some(t.pool));
}

#[tokio::test]
async fn two_reps_claiming_the_same_record_at_once_get_it_only_once() {
    let t = team().await;
    let b = t.signed_in(REP_B).await;
    let id = t.pooled("冯磊", &b).await;
    let a = t.signed_in(REP_A).await;
    let (token_a, token_b) = (t.app.csrf(&a).await, t.app.csrf(&b).await);
    let path = format!("/pools/{}/claim", t.pool);
    let record = id.to_string();
    let fields = [("record", record.as_str())];

    let (ra, rb) = tokio::join!(
        t.app.post_form_with(&a, &path, &fields, &token_a),
        t.app.post_form_with(&b, &path, &fields, &token_b),
    );

    let mut statuses = [ra.status(), rb.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let winner = if ra.status() == StatusCode::SEE_OTHER {
        t.a
    } else {
        t.b
    };
    assert_eq!(t.owner("leads", id), Some(winner));
    assert_eq!(t.audits("lead.claim", id), 1);
}

#[tokio::test]
async fn an_owner_puts_a_record_back_and_only_their_own() {
    // Arrange
    let t = team().await;
    let id = t.lead("蒋涛", t.b).await;
    let theirs = t.lead("韩梅", t.a).await;
    let b = t.signed_in(REP_B).await;

    // Act
    let (form, html) = t
        .app
        .get_html_as(&b, &format!("/pools/release?entity=leads&id={id}"))
        .await;
    let released = t.release(&b, "leads", id, t.pool).await;
    let not_theirs = t.release(&b, "leads", theirs, t.pool).await;

    // Assert: the pool that watches B is offered first.
    assert_eq!(form, StatusCode::OK);
    assert!(
        html.contains(&format!("value=\"{}\" selected", t.pool)),
        "{html}"
    );
    assert_eq!(released.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        released.headers()["location"],
        format!("/pools/{}?done=released", t.pool).as_str()
    );
    assert_eq!(t.owner("leads", id), None);
    assert_eq!(t.pool_of("leads", id), Some(t.pool));
    assert_eq!(t.audits("lead.release", id), 1);
    assert_eq!(not_theirs.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.owner("leads", theirs), Some(t.a));
}

#[tokio::test]
async fn a_manager_assigns_from_the_pool_to_their_team_and_the_rep_is_told() {
    // Arrange
    let t = team().await;
    let b = t.signed_in(REP_B).await;
    let id = t.pooled("杨帆", &b).await;
    let manager = t.signed_in(MANAGER).await;
    let a = t.signed_in(REP_A).await;
    let path = format!("/pools/{}/assign", t.pool);
    let record = id.to_string();

    // Act
    let (page, html) = t
        .app
        .get_html_as(&manager, &format!("/pools/{}", t.pool))
        .await;
    let by_rep = t
        .app
        .post_form(
            &a,
            &path,
            &[("ids", &record), ("user_id", &t.a.to_string())],
        )
        .await;
    let outside = t
        .app
        .post_form(
            &manager,
            &path,
            &[("ids", &record), ("user_id", &t.outsider.to_string())],
        )
        .await;
    let assigned = t
        .app
        .post_form(
            &manager,
            &path,
            &[("ids", &record), ("user_id", &t.a.to_string())],
        )
        .await;

    // Assert
    assert_eq!(page, StatusCode::OK);
    assert!(
        html.contains("name=\"user_id\""),
        "the manager gets the assign bar"
    );
    assert_eq!(
        by_rep.status(),
        StatusCode::FORBIDDEN,
        "a rep is no manager"
    );
    assert_eq!(
        outside.status(),
        StatusCode::FORBIDDEN,
        "not the manager's team"
    );
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    assert_eq!(t.owner("leads", id), Some(t.a));
    assert_eq!(t.audits("lead.pool_assign", id), 1);
    let (params, link) = t.notification(t.a, "pool_assigned").unwrap();
    assert!(
        params.contains("陈经理") && params.contains("杨帆"),
        "{params}"
    );
    assert_eq!(link, format!("/leads/{id}"));
    let (_, centre) = t.app.get_html_as(&a, "/notifications").await;
    assert!(centre.contains("陈经理"), "{centre}");
}
