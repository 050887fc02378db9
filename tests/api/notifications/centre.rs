//! The notification centre and the header bell, through the real server.

use super::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_bell_shows_the_unread_count_on_every_page() {
    // Arrange
    let t = team().await;
    let rep = t.signed_in(REP).await;
    let (_, before) = t.app.get_html_as(&rep, "/").await;
    notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"a","due":"2026-03-02"}"#,
        "/today",
    );
    notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"b","due":"2026-03-02"}"#,
        "/today",
    );
    notify(
        &t.app,
        t.manager,
        "task_due",
        r#"{"task":"c","due":"2026-03-02"}"#,
        "/today",
    );

    // Act + Assert
    assert!(
        before.contains("href=\"/notifications\""),
        "the bell is there"
    );
    assert!(
        !before.contains("bell-count"),
        "no count while nothing is unread"
    );
    // The count is remembered until the server's next change; rows written by another
    // process, as here, show within the memo's two seconds.
    let shown = "<span class=\"bell-count\" aria-hidden=\"true\">2</span>";
    for _ in 0..40 {
        if t.app.get_html_as(&rep, "/").await.1.contains(shown) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for path in ["/", "/companies", "/today", "/account"] {
        let (status, html) = t.app.get_html_as(&rep, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(shown), "{path}: {html}");
    }
}

#[tokio::test]
async fn opening_a_notification_marks_it_read_and_follows_its_link_without_an_audit_entry() {
    // Arrange
    let t = team().await;
    let rep = t.signed_in(REP).await;
    let link = format!("/companies/{}", t.company);
    let id = notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"回访","due":"2026-03-02"}"#,
        &link,
    );
    let other = notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"另一件","due":"2026-03-02"}"#,
        "/today",
    );
    let audit_before = t.app.query_i64("SELECT count(*) FROM audit_log");
    let (_, list) = t.app.get_html_as(&rep, "/notifications").await;
    assert_eq!(list.matches("class=\"unread\"").count(), 2, "{list}");

    // Act
    let r = t
        .app
        .post_form(&rep, &format!("/notifications/{id}/read"), &[])
        .await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), link);
    let read = |n: i64| {
        t.app.query_i64(&format!(
            "SELECT read_at IS NOT NULL FROM notifications WHERE id = {n}"
        ))
    };
    assert_eq!((read(id), read(other)), (1, 0));
    let (_, list) = t.app.get_html_as(&rep, "/notifications").await;
    assert_eq!(list.matches("class=\"unread\"").count(), 1);
    assert!(list.contains("<span class=\"bell-count\" aria-hidden=\"true\">1</span>"));
    let (_, unread_only) = t.app.get_html_as(&rep, "/notifications?unread=1").await;
    assert!(unread_only.contains("另一件") && !unread_only.contains("回访"));
    assert_eq!(
        t.app.query_i64("SELECT count(*) FROM audit_log"),
        audit_before,
        "reading is the reader's own bookkeeping, not an audited change"
    );
}

#[tokio::test]
async fn read_all_marks_every_notification_of_the_user_and_no_one_elses() {
    // Arrange
    let t = team().await;
    let rep = t.signed_in(REP).await;
    for task in ["一", "二", "三"] {
        let params = format!(r#"{{"task":"{task}","due":"2026-03-02"}}"#);
        notify(&t.app, t.rep, "task_due", &params, "/today");
    }
    notify(
        &t.app,
        t.manager,
        "task_due",
        r#"{"task":"四","due":"2026-03-02"}"#,
        "/today",
    );

    // Act
    let r = t.app.post_form(&rep, "/notifications/read-all", &[]).await;

    // Assert
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/notifications");
    let unread = |user: i64| {
        t.app.query_i64(&format!(
            "SELECT count(*) FROM notifications WHERE user_id = {user} AND read_at IS NULL"
        ))
    };
    assert_eq!((unread(t.rep), unread(t.manager)), (0, 1));
    let (_, html) = t.app.get_html_as(&rep, "/notifications").await;
    assert!(!html.contains("bell-count"));
    assert!(html.contains(&text("notification.ui.all_read")));
}

#[tokio::test]
async fn nobody_can_open_or_see_another_users_notification() {
    // Arrange
    let t = team().await;
    let mine = notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"机密客户","due":"2026-03-02"}"#,
        "/today",
    );
    let manager = t.signed_in(MANAGER).await;

    // Act
    let r = t
        .app
        .post_form(&manager, &format!("/notifications/{mine}/read"), &[])
        .await;
    let missing = t
        .app
        .post_form(&manager, "/notifications/999999/read", &[])
        .await;
    let (_, list) = t.app.get_html_as(&manager, "/notifications").await;

    // Assert
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        t.app.query_i64(&format!(
            "SELECT read_at IS NULL FROM notifications WHERE id = {mine}"
        )),
        1
    );
    assert!(!list.contains("机密客户"));
}

#[tokio::test]
async fn notification_forms_without_the_right_token_are_refused_and_change_nothing() {
    // Arrange
    let t = team().await;
    let rep = t.signed_in(REP).await;
    let id = notify(
        &t.app,
        t.rep,
        "task_due",
        r#"{"task":"x","due":"2026-03-02"}"#,
        "/today",
    );
    let read = format!("/notifications/{id}/read");

    for path in [read.as_str(), "/notifications/read-all"] {
        // Act
        let without = rep.post(t.app.url(path)).send().await.unwrap();
        let wrong = rep
            .post(t.app.url(path))
            .form(&[("csrf", "0".repeat(64))])
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(without.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        t.app
            .query_i64("SELECT count(*) FROM notifications WHERE read_at IS NULL"),
        1
    );
}

#[tokio::test]
async fn the_centre_lists_newest_first_a_page_at_a_time_in_the_readers_language() {
    // Arrange: 35 notifications, numbered in the order they were sent.
    let t = team().await;
    let rep = t.signed_in(REP).await;
    for n in 1..=35 {
        let params = format!(r#"{{"task":"任务{n:02}","due":"2026-03-02"}}"#);
        notify(&t.app, t.rep, "task_due", &params, "/today");
    }

    // Act
    let (status, first) = t.app.get_html_as(&rep, "/notifications").await;
    let older = input_href(&first, "/notifications?before=");
    let (_, second) = t.app.get_html_as(&rep, &older).await;
    let zh = rep
        .get(t.app.url("/notifications"))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first.matches("class=\"notice-open\"").count(), 30);
    assert_eq!(second.matches("class=\"notice-open\"").count(), 5);
    let pos = |html: &str, s: &str| html.find(s).unwrap_or(usize::MAX);
    assert!(
        pos(&first, "任务35") < pos(&first, "任务34"),
        "newest first"
    );
    assert!(first.contains("任务06") && !first.contains("任务05"));
    assert!(second.contains("任务05") && second.contains("任务01"));
    assert!(
        !second.contains(&text("notification.ui.older")),
        "no page after the last"
    );
    let en = kith::web::i18n::Lang::En
        .tr("notification.task_due")
        .replace("{task}", "任务35")
        .replace("{due}", "2026-03-02");
    assert!(first.contains(&escape(&en)), "{first}");
    let cn = kith::web::i18n::Lang::ZhCn
        .tr("notification.task_due")
        .replace("{task}", "任务35")
        .replace("{due}", "2026-03-02");
    assert!(zh.contains(&escape(&cn)), "{zh}");
}

#[tokio::test]
async fn the_centre_needs_a_signed_in_user() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let anonymous = new_client();
    let r = app.get_as(&anonymous, "/notifications").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
}

/// The first link in a page that starts with `prefix`, unescaped.
fn input_href(html: &str, prefix: &str) -> String {
    let escaped = escape(prefix);
    let start = html
        .find(&format!("href=\"{prefix}"))
        .or_else(|| html.find(&format!("href=\"{escaped}")))
        .expect("no such link")
        + "href=\"".len();
    let len = html[start..].find('"').unwrap();
    unescape(&html[start..start + len])
}
