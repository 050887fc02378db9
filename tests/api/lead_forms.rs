//! Public lead forms: a visitor's submission becomes a lead created by the system, routed by
//! the rules; mistakes come back marked, robots get nothing, one address cannot flood the
//! form, and the page can live inside another site's frame.

use crate::helpers::*;
use crate::lead_rules::{department, member, rule};
use kith::web::i18n::Lang;
use reqwest::{Client, StatusCode};
use std::time::Duration;

fn lang_en(key: &str) -> String {
    Lang::En.tr(key)
}

/// Makes a form as the administrator; returns its token.
async fn make_form(app: &TestApp, name: &str, source: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("name", name),
        ("show_mobile", "1"),
        ("req_mobile", "1"),
        ("show_email", "1"),
        ("show_province", "1"),
        ("show_notes", "1"),
        ("thank_you", "谢谢，我们会在一个工作日内联系您。"),
        ("source", source),
        ("active", "1"),
    ];
    fields.extend_from_slice(extra);
    let r = app
        .post_form(&app.client, "/admin/lead-forms/new", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "form {name}");
    app.query_string(&format!(
        "SELECT token FROM lead_forms WHERE name = '{name}'"
    ))
}

/// A visitor: loads the form (to get its stamp) and waits as long as a person would.
async fn visit(app: &TestApp, token: &str) -> (Client, String) {
    let visitor = new_client();
    let (status, html) = app.get_html_as(&visitor, &format!("/f/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    let stamp = input_value(&html, "t");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    (visitor, stamp)
}

async fn send(
    app: &TestApp,
    c: &Client,
    token: &str,
    stamp: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = fields.to_vec();
    form.push(("t", stamp));
    form.push(("company_site", ""));
    c.post(app.url(&format!("/f/{token}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn leads(app: &TestApp) -> i64 {
    app.query_i64("SELECT count(*) FROM leads")
}

#[tokio::test]
async fn a_submission_becomes_an_assigned_lead_created_by_the_system() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let south = department(&app, "华南区", None).await;
    let chen = member(&app, "chen@huaxing.cn", "陈南", south).await;
    rule(
        &app,
        "官网华南",
        &[("source", "官网"), ("province", "广东")],
        "round_robin",
        south,
    )
    .await;
    let token = make_form(&app, "官网咨询", "website", &[]).await;
    let form_id = app.query_i64("SELECT id FROM lead_forms");
    let (visitor, stamp) = visit(&app, &token).await;

    let r = visitor
        .post(app.url(&format!("/f/{token}")))
        .header("origin", "https://www.huaxing.cn")
        .form(&[
            ("name", "李娜"),
            ("mobile", "138 0013 8000"),
            ("email", "Li.Na@Example.cn"),
            ("province", "广东省"),
            ("notes", "想了解报价"),
            ("status", "qualified"),
            ("owner_id", "1"),
            ("t", &stamp),
            ("company_site", ""),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a post from the site embedding the form"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("谢谢，我们会在一个工作日内联系您。")
    );
    let lead = app.query_string(
        "SELECT name || '|' || status || '|' || source || '|' || email || '|' || owner_id || '|' ||
                form_id || '|' || ifnull(created_by, 'system') FROM leads",
    );
    assert_eq!(
        lead,
        format!("李娜|new|website|li.na@example.cn|{chen}|{form_id}|system"),
        "the visitor sets neither status nor owner"
    );
    let created = app.query_string(
        "SELECT ifnull(actor_id, 'none') || '|' || actor || '|' || entity_type FROM audit_log
         WHERE action = 'lead.create'",
    );
    assert_eq!(created, "none|lead_form|lead");
    let submitted = app.latest_changes("lead_form.submit");
    assert!(
        submitted.contains(&format!(
            r#""field":"form_id","before":null,"after":{form_id}"#
        )),
        "{submitted}"
    );
    assert_eq!(app.audit_ids_where("action = 'lead_rule.matched'").len(), 1);
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM notifications WHERE user_id = {chen} AND kind = 'lead_assigned'
             AND link LIKE '/leads/%'"
        )),
        1
    );
    let rep = app.signed_in_client("chen@huaxing.cn", PASSWORD).await;
    let (_, centre) = app.get_html_as(&rep, "/notifications").await;
    assert!(centre.contains(&escape(
        &lang_en("notification.lead_assigned").replace("{name}", "李娜")
    )));
}

#[tokio::test]
async fn a_bad_submission_comes_back_marked_with_the_input_kept() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = make_form(&app, "官网咨询", "website", &[]).await;
    let (visitor, stamp) = visit(&app, &token).await;

    let r = send(
        &app,
        &visitor,
        &token,
        &stamp,
        &[
            ("name", ""),
            ("mobile", "12"),
            ("email", "not-an-email"),
            ("notes", "请回电"),
        ],
    )
    .await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let mut marked = marked_fields(&html);
    marked.sort();
    assert_eq!(marked, vec!["email", "mobile", "name"]);
    assert!(html.contains("not-an-email") && html.contains("请回电"));
    assert_eq!(leads(&app), 0);

    // Sent the moment the page was loaded: a robot's speed, so nothing is kept.
    let fresh = app.get_html_as(&visitor, &format!("/f/{token}")).await.1;
    let r = send(
        &app,
        &visitor,
        &token,
        &input_value(&fresh, "t"),
        &[("name", "王五"), ("mobile", "13800138000")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&text("lead_form.public.too_fast"))
    );
    let r = send(
        &app,
        &visitor,
        &token,
        "1.forged",
        &[("name", "王五"), ("mobile", "13800138000")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(leads(&app), 0);
}

#[tokio::test]
async fn a_filled_honeypot_looks_like_success_but_keeps_nothing() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = make_form(&app, "官网咨询", "website", &[]).await;
    let (visitor, stamp) = visit(&app, &token).await;
    let audit_before = app.audit_actions().len();

    let r = visitor
        .post(app.url(&format!("/f/{token}")))
        .form(&[
            ("name", "Buy now"),
            ("mobile", "13800138000"),
            ("t", &stamp),
            ("company_site", "http://spam.example"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("谢谢，我们会在一个工作日内联系您。")
    );
    assert_eq!(leads(&app), 0);
    assert_eq!(app.audit_actions().len(), audit_before);
}

#[tokio::test]
async fn one_address_is_limited_to_ten_submissions_in_ten_minutes() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = make_form(&app, "官网咨询", "website", &[]).await;
    let visitor = new_client();

    for i in 0..10 {
        // Unknown forms count too, so guessing addresses is limited as well.
        let path = if i % 2 == 0 {
            format!("/f/{token}")
        } else {
            "/f/guess".into()
        };
        let r = visitor
            .post(app.url(&path))
            .form(&[("name", "x")])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "attempt {i}");
    }
    let r = visitor
        .post(app.url(&format!("/f/{token}")))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "600");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(&text("lead_form.public.limited"))
    );
    // Looking at the form is not limited.
    assert_eq!(
        app.get_as(&visitor, &format!("/f/{token}")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_and_switched_off_forms_are_not_found() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = make_form(&app, "展会登记", "exhibition", &[]).await;
    let visitor = new_client();
    assert_eq!(
        app.get_as(&visitor, "/f/nosuchform").await.status(),
        StatusCode::NOT_FOUND
    );
    let r = visitor
        .post(app.url("/f/nosuchform"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let id = app.query_i64("SELECT id FROM lead_forms");
    let version = app.query_i64("SELECT version FROM lead_forms");
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-forms/{id}"),
            &[
                ("version", &version.to_string()),
                ("name", "展会登记"),
                ("thank_you", "谢谢"),
                ("source", "exhibition"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        app.latest_changes("lead_form.update")
            .contains(r#""field":"active","before":true,"after":false"#)
    );

    assert_eq!(
        app.get_as(&visitor, &format!("/f/{token}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_public_page_speaks_the_visitors_language_and_may_be_framed() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let token = make_form(&app, "官网咨询", "website", &[]).await;

    let r = bare_client()
        .get(app.url(&format!("/f/{token}")))
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-frame-options").is_none());
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(&text_zh("lead_form.public.send")));
    assert!(!html.contains("class=\"topbar\""), "no app navigation");
    let (_, en) = app.get_html_as(&new_client(), &format!("/f/{token}")).await;
    assert!(en.contains(&text("lead_form.public.send")));

    // The app's own pages still refuse to be framed.
    let r = app.get("/admin/lead-forms").await;
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    assert!(html.contains(&escape(&format!("/f/{token}"))));
}

#[tokio::test]
async fn a_new_token_retires_the_old_address_and_is_audited() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let old = make_form(&app, "官网咨询", "website", &[]).await;
    let id = app.query_i64("SELECT id FROM lead_forms");
    let (status, html) = app.get_html(&format!("/admin/lead-forms/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("&lt;iframe src=&quot;"),
        "the snippet is shown to copy"
    );

    let r = app
        .post_form(&app.client, &format!("/admin/lead-forms/{id}/token"), &[])
        .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = app.query_string("SELECT token FROM lead_forms");
    assert_ne!(new, old);
    assert_eq!(
        app.get(&format!("/f/{old}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&format!("/f/{new}")).await.status(), StatusCode::OK);
    let changes = app.latest_changes("lead_form.token");
    assert!(
        !changes.contains(&new) && !changes.contains(&old),
        "{changes}"
    );
}
