//! Offboarding: a leaver's companies, contacts and open tasks go to a colleague in one
//! step, each record audited, with a summary.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_leavers_work_is_handed_over_in_one_step_and_audited_record_by_record() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let leaver = app
        .create_user("zhao@huaxing.cn", "赵离职", "sales", PASSWORD)
        .await;
    let heir = app
        .create_user("qian@huaxing.cn", "钱接手", "sales", PASSWORD)
        .await;
    let owner = leaver.to_string();
    let company = create_record(
        &app,
        "companies",
        &[
            ("name", "北方重工"),
            ("status", "customer"),
            ("owner_id", &owner),
        ],
    )
    .await;
    let a = create_record(
        &app,
        "contacts",
        &[("name", "孙一"), ("status", "lead"), ("owner_id", &owner)],
    )
    .await;
    let b = create_record(
        &app,
        "contacts",
        &[("name", "孙二"), ("status", "lead"), ("owner_id", &owner)],
    )
    .await;
    let kept = create_record(
        &app,
        "contacts",
        &[("name", "管理员的客户"), ("status", "lead")],
    )
    .await;
    let r = app
        .post_form(
            &app.client,
            &format!("/companies/{company}/tasks"),
            &[("title", "续约"), ("assignee_id", &owner)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.db()
        .execute("UPDATE tasks SET assignee_id = ?1", [leaver])
        .unwrap();

    // Disabling ends their sessions; the user page then offers the hand-over.
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{leaver}/status"),
            &[("action", "disable")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/admin/users/{leaver}")).await;
    assert!(html.contains(&escape(&text("offboarding.title"))), "{html}");
    // The header still shows who is signed in, not the person being edited.
    assert!(
        html.contains(&format!("class=\"username\">{ADMIN_NAME}<")),
        "{html}"
    );
    assert!(
        html.contains(
            "/admin/users/{leaver}/transfer"
                .replace("{leaver}", &owner)
                .as_str()
        )
    );

    let before = app.query_i64("SELECT count(*) FROM audit_log");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/users/{leaver}/transfer"),
            &[("to", &heir.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (table, id) in [("companies", company), ("contacts", a), ("contacts", b)] {
        assert_eq!(
            app.query_i64(&format!("SELECT owner_id FROM {table} WHERE id = {id}")),
            heir
        );
    }
    assert_ne!(
        app.query_i64(&format!("SELECT owner_id FROM contacts WHERE id = {kept}")),
        heir
    );
    assert_eq!(app.query_i64("SELECT assignee_id FROM tasks"), heir);
    // One entry per record and task, plus the summary.
    assert_eq!(app.query_i64("SELECT count(*) FROM audit_log") - before, 5);
    let summary = app.latest_changes("user.transfer");
    assert!(
        summary.contains("\"contacts\"") && summary.contains('2'),
        "{summary}"
    );
    let (_, html) = app.get_html(&format!("/contacts/{a}")).await;
    assert!(html.contains("钱接手"), "the new owner shows on the record");
}

#[tokio::test]
async fn a_hand_over_needs_an_active_colleague() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let leaver = app
        .create_user("zhao@huaxing.cn", "赵离职", "sales", PASSWORD)
        .await;
    let gone = app
        .create_user("sun@huaxing.cn", "孙已离职", "sales", PASSWORD)
        .await;
    create_record(
        &app,
        "contacts",
        &[
            ("name", "孙一"),
            ("status", "lead"),
            ("owner_id", &leaver.to_string()),
        ],
    )
    .await;
    app.post_form(
        &app.client,
        &format!("/admin/users/{gone}/status"),
        &[("action", "disable")],
    )
    .await;
    for to in [gone.to_string(), leaver.to_string(), "".to_string()] {
        let r = app
            .post_form(
                &app.client,
                &format!("/admin/users/{leaver}/transfer"),
                &[("to", &to)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&escape(&text("offboarding.error.target"))),
            "{html}"
        );
    }
    assert_eq!(
        app.query_i64("SELECT count(*) FROM audit_log WHERE action = 'user.transfer'"),
        0
    );
    // Only administrators.
    app.create_user("li@huaxing.cn", "李经理", "manager", PASSWORD)
        .await;
    let manager = app.signed_in_client("li@huaxing.cn", PASSWORD).await;
    let r = app
        .post_form(
            &manager,
            &format!("/admin/users/{leaver}/transfer"),
            &[("to", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_cli_disables_and_hands_over_in_one_command() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let leaver = app
        .create_user("zhao@huaxing.cn", "赵离职", "sales", PASSWORD)
        .await;
    let heir = app
        .create_user("qian@huaxing.cn", "钱接手", "sales", PASSWORD)
        .await;
    let c = create_record(
        &app,
        "companies",
        &[
            ("name", "北方重工"),
            ("status", "lead"),
            ("owner_id", &leaver.to_string()),
        ],
    )
    .await;
    let out = kith(
        app.dir.path(),
        &[
            "user",
            "disable",
            "zhao@huaxing.cn",
            "--transfer-to",
            "qian@huaxing.cn",
        ],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("handed 1 companies"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        app.query_i64(&format!("SELECT owner_id FROM companies WHERE id = {c}")),
        heir
    );
    assert_eq!(
        app.query_i64(&format!(
            "SELECT disabled_at IS NOT NULL FROM users WHERE id = {leaver}"
        )),
        1
    );
}
