//! The reminder and stalled-deal jobs, run with a chosen clock.

use super::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_task_due_today_reminds_its_assignee_once() {
    // Arrange: 10:00 in Shanghai on 2 March.
    let t = team().await;
    let now = at("2026-03-02T02:00:00Z");
    let due = t.task("回访华为采购", Some("2026-03-02"), Some(t.rep));
    t.task("明天的事", Some("2026-03-03"), Some(t.rep));
    t.task("没人负责", Some("2026-03-02"), None);
    let done = t.task("已完成", Some("2026-03-01"), Some(t.rep));
    t.app
        .db()
        .execute("UPDATE tasks SET done_at = 'x' WHERE id = ?1", [done])
        .unwrap();

    // Act
    let first = run(&t.app, now);
    let second = run(&t.app, now + Duration::minutes(5));

    // Assert
    assert_eq!(first.tasks_reminded, 1);
    assert_eq!(first.notifications, 1);
    assert_eq!(second, JobReport::default(), "the second run sends nothing");
    assert_eq!(t.notifications(t.rep, "task_due"), 1);
    let (params, link): (String, String) = t
        .app
        .db()
        .query_row(
            "SELECT params, link FROM notifications WHERE user_id = ?1",
            [t.rep],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(params.contains("回访华为采购"), "{params}");
    assert_eq!(link, format!("/companies/{}", t.company));
    let audited = t.app.audit_ids_where(&format!(
        "action = 'task.reminded' AND entity_id = '{due}' AND actor = 'scheduler'"
    ));
    assert_eq!(audited.len(), 1);
}

#[tokio::test]
async fn an_overdue_task_is_reminded_and_a_new_due_date_arms_the_reminder_again() {
    // Arrange: 17:00 UTC on 1 March is already 2 March in the company's time zone.
    let t = team().await;
    let late = t.task("寄送合同", Some("2026-02-20"), Some(t.rep));
    let today_there = t.task("确认报价", Some("2026-03-02"), Some(t.rep));

    // Act
    let report = run(&t.app, at("2026-03-01T17:00:00Z"));

    // Assert
    assert_eq!(report.tasks_reminded, 2);
    assert_eq!(t.notifications(t.rep, "task_due"), 2);
    let reminded = |id: i64| {
        t.app.query_string(&format!(
            "SELECT coalesce(reminded_due, '-') FROM tasks WHERE id = {id}"
        ))
    };
    assert_eq!(reminded(late), "2026-02-20");
    assert_eq!(reminded(today_there), "2026-03-02");

    // Moved to a later date, the task is reminded again when that date comes.
    t.app
        .db()
        .execute(
            "UPDATE tasks SET due_date = '2026-03-05' WHERE id = ?1",
            [late],
        )
        .unwrap();
    assert_eq!(run(&t.app, at("2026-03-03T02:00:00Z")).tasks_reminded, 0);
    assert_eq!(run(&t.app, at("2026-03-05T02:00:00Z")).tasks_reminded, 1);
    assert_eq!(t.notifications(t.rep, "task_due"), 3);
}

#[tokio::test]
async fn a_deal_quiet_longer_than_its_stage_allows_alerts_its_owner_and_their_manager() {
    // Arrange: the stage allows 7 quiet days; the deal has been there 8 without a follow-up.
    let t = team().await;
    let now = at("2026-03-10T02:00:00Z");
    let deal = t.deal(
        "华为云扩容",
        ("open", Some(7)),
        now - Duration::days(8),
        None,
    );

    // Act
    let report = run(&t.app, now);
    let again = run(&t.app, now + Duration::hours(1));

    // Assert
    assert_eq!(report.deals_stalled, 1);
    assert_eq!(report.notifications, 2);
    assert_eq!(
        again,
        JobReport::default(),
        "a stalled deal is reported once"
    );
    assert_eq!(
        t.app.query_string(&format!(
            "SELECT coalesce(stalled_at, '-') FROM deals WHERE id = {deal}"
        )),
        stamp(now)
    );
    assert_eq!(t.notifications(t.rep, "deal_stalled"), 1);
    assert_eq!(t.notifications(t.manager, "deal_stalled_team"), 1);
    let link = t.app.query_string(&format!(
        "SELECT link FROM notifications WHERE user_id = {}",
        t.manager
    ));
    assert_eq!(link, format!("/deals/{deal}"));
    let audited = t.app.audit_ids_where(&format!(
        "action = 'deal.stalled' AND entity_type = 'deal' AND entity_id = '{deal}'
         AND actor = 'scheduler' AND actor_id IS NULL"
    ));
    assert_eq!(audited.len(), 1);

    // The manager reads it in their language, with the names filled in.
    let manager = t.signed_in(MANAGER).await;
    let (status, html) = t.app.get_html_as(&manager, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let expected = kith::web::i18n::Lang::En
        .tr("notification.deal_stalled_team")
        .replace("{owner}", "赵销售")
        .replace("{deal}", "华为云扩容")
        .replace("{days}", "7")
        .replace("{stage}", "谈判");
    assert!(html.contains(&escape(&expected)), "{html}");
}

#[tokio::test]
async fn only_live_open_deals_that_went_quiet_are_reported_stalled() {
    // Arrange
    let t = team().await;
    let now = at("2026-03-10T02:00:00Z");
    let long_ago = now - Duration::days(30);
    let recent = t.deal(
        "最近跟进过",
        ("open", Some(7)),
        long_ago,
        Some(now - Duration::days(2)),
    );
    let no_limit = t.deal("阶段不设期限", ("open", None), long_ago, None);
    let won = t.deal("已赢单", ("won", Some(7)), long_ago, None);
    let trashed = t.deal("已删除", ("open", Some(7)), long_ago, None);
    t.app
        .db()
        .execute("UPDATE deals SET deleted_at = 'x' WHERE id = ?1", [trashed])
        .unwrap();
    let just_in_time = t.deal(
        "刚好七天",
        ("open", Some(7)),
        now - Duration::days(7) + Duration::minutes(1),
        None,
    );

    // Act
    let report = run(&t.app, now);

    // Assert
    assert_eq!(report.deals_stalled, 0);
    for deal in [recent, no_limit, won, trashed, just_in_time] {
        assert_eq!(
            t.app.query_i64(&format!(
                "SELECT stalled_at IS NULL FROM deals WHERE id = {deal}"
            )),
            1,
            "deal {deal}"
        );
    }
    assert_eq!(t.app.query_i64("SELECT count(*) FROM notifications"), 0);
}
