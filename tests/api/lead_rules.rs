//! Lead assignment rules: conditions pick the team, a default rule catches the rest, round
//! robin is fair even when leads arrive together, least-open evens out the load, people
//! who left are skipped, and every change to a rule is audited.

use crate::helpers::*;
use kith::crm::leads::{LEADS, assign};
use kith::crm::records::{self, Values};
use kith::db::Actor;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Adds a department (under `parent`) as the administrator; returns its id.
pub async fn department(app: &TestApp, name: &str, parent: Option<i64>) -> i64 {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let r = app
        .post_form(
            &app.client,
            "/admin/departments",
            &[("name", name), ("parent_id", &parent)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "department {name}");
    app.query_i64(&format!("SELECT id FROM departments WHERE name = '{name}'"))
}

/// Creates a sales user and places them in `dept`; returns the id.
pub async fn member(app: &TestApp, email: &str, name: &str, dept: i64) -> i64 {
    let id = app.create_user(email, name, "sales", PASSWORD).await;
    let r = app
        .post_form(
            &app.client,
            "/admin/departments/place",
            &[
                ("user_id", &id.to_string()),
                ("department_id", &dept.to_string()),
                ("manager_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "placing {email}");
    id
}

/// Adds a rule through the admin page: `conditions` as (field, typed value) rows and a
/// target (`department_id` or `user_id` per the method); returns its id.
pub async fn rule(
    app: &TestApp,
    name: &str,
    conditions: &[(&str, &str)],
    method: &str,
    target: i64,
) -> i64 {
    let target = target.to_string();
    let mut fields = vec![("name", name.to_string()), ("method", method.to_string())];
    fields.push(("active", "1".into()));
    if method == "fixed" {
        fields.push(("user_id", target));
    } else {
        fields.push(("department_id", target));
    }
    let names: Vec<(String, String)> = (0..conditions.len())
        .map(|i| (format!("cond_field_{i}"), format!("cond_value_{i}")))
        .collect();
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (i, (f, v)) in conditions.iter().enumerate() {
        form.push((&names[i].0, f));
        form.push((&names[i].1, v));
    }
    let r = app
        .post_form(&app.client, "/admin/lead-rules/new", &form)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "rule {name}");
    app.query_i64(&format!(
        "SELECT id FROM assignment_rules WHERE name = '{name}'"
    ))
}

/// Creates a lead as the system and routes it, the way a form submission does.
pub async fn route(app: &TestApp, fields: Value) -> (i64, Option<i64>) {
    let mut values: Values = serde_json::from_value(fields).unwrap();
    values.entry("status".into()).or_insert(json!("new"));
    app.state
        .db
        .write(Actor::system("test"), move |tx| {
            let id = records::create(tx, &LEADS, &values)?;
            Ok((id, assign::assign_new_lead(tx, id)?))
        })
        .await
        .unwrap()
}

fn owned(app: &TestApp, user: i64) -> i64 {
    app.query_i64(&format!(
        "SELECT count(*) FROM leads WHERE owner_id = {user}"
    ))
}

#[tokio::test]
async fn conditions_on_region_and_source_pick_the_team_and_the_default_takes_the_rest() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let admin = app.user_id(ADMIN_EMAIL);
    let south = department(&app, "华南区", None).await;
    let east = department(&app, "华东区", None).await;
    let chen = member(&app, "chen@huaxing.cn", "陈南", south).await;
    let xu = member(&app, "xu@huaxing.cn", "徐东", east).await;
    rule(
        &app,
        "华南展会",
        &[("province", "广东, 广西"), ("source", "展会")],
        "round_robin",
        south,
    )
    .await;
    rule(&app, "华东", &[("province", "上海")], "round_robin", east).await;
    let default = rule(&app, "其余", &[], "fixed", admin).await;

    let (a, to_a) = route(
        &app,
        json!({"name": "甲", "province": "广东省", "source": "exhibition"}),
    )
    .await;
    let (_, to_b) = route(
        &app,
        json!({"name": "乙", "province": "广西", "source": "website"}),
    )
    .await;
    let (_, to_c) = route(&app, json!({"name": "丙", "province": "上海市"})).await;
    let (d, to_d) = route(&app, json!({"name": "丁", "province": "北京"})).await;

    assert_eq!(
        to_a,
        Some(chen),
        "Guangdong at an exhibition goes to the south"
    );
    assert_eq!(to_b, Some(admin), "the south rule needs both conditions");
    assert_eq!(to_c, Some(xu));
    assert_eq!(to_d, Some(admin));
    assert_eq!(
        app.query_i64(&format!("SELECT rule_id FROM leads WHERE id = {d}")),
        default
    );
    let matched = app.latest_changes("lead_rule.matched");
    assert!(matched.contains("其余"), "{matched}");
    assert!(
        app.audit_ids_where(&format!(
            "action = 'lead.assign' AND entity_id = '{a}' AND changes LIKE '%\"after\":{chen}%'"
        ))
        .len()
            == 1
    );
    assert_eq!(
        app.query_string(&format!(
            "SELECT params FROM notifications WHERE user_id = {chen} AND kind = 'lead_assigned'"
        )),
        json!({"name": "甲"}).to_string()
    );
}

#[tokio::test]
async fn without_a_matching_rule_a_lead_stays_unassigned() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let east = department(&app, "华东区", None).await;
    member(&app, "xu@huaxing.cn", "徐东", east).await;
    rule(&app, "华东", &[("province", "上海")], "round_robin", east).await;

    let (id, to) = route(&app, json!({"name": "甲", "province": "广东"})).await;

    assert_eq!(to, None);
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM leads WHERE id = {id} AND owner_id IS NULL AND rule_id IS NULL"
        )),
        1
    );
    let (status, html) = app.get_html("/admin/lead-rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&text("lead_rule.no_default")));
}

#[tokio::test]
async fn round_robin_shares_leads_evenly_even_when_they_arrive_together() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let sales = department(&app, "销售部", None).await;
    let north = department(&app, "华北区", Some(sales)).await;
    let a = member(&app, "a@huaxing.cn", "甲", sales).await;
    let b = member(&app, "b@huaxing.cn", "乙", sales).await;
    // A member of a sub-department is a member too.
    let c = member(&app, "c@huaxing.cn", "丙", north).await;
    rule(&app, "全部", &[], "round_robin", sales).await;

    let mut tasks = Vec::new();
    for i in 0..30 {
        let state = app.state.clone();
        tasks.push(tokio::spawn(async move {
            let values: Values =
                serde_json::from_value(json!({"name": format!("线索{i}"), "status": "new"}))
                    .unwrap();
            state
                .db
                .write(Actor::system("test"), move |tx| {
                    let id = records::create(tx, &LEADS, &values)?;
                    assign::assign_new_lead(tx, id)
                })
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().is_some());
    }

    assert_eq!(
        (owned(&app, a), owned(&app, b), owned(&app, c)),
        (10, 10, 10)
    );
    // Turns go in a stable order: the first three leads went to three different people.
    assert_eq!(
        app.query_i64(
            "SELECT count(DISTINCT owner_id) FROM (SELECT owner_id FROM leads ORDER BY id LIMIT 3)"
        ),
        3
    );
}

#[tokio::test]
async fn least_open_gives_the_lead_to_whoever_holds_the_fewest_open_leads() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let sales = department(&app, "销售部", None).await;
    let a = member(&app, "a@huaxing.cn", "甲", sales).await;
    let b = member(&app, "b@huaxing.cn", "乙", sales).await;
    let c = member(&app, "c@huaxing.cn", "丙", sales).await;
    // Before any rule exists: a holds two open leads, b one, c one that is no longer open.
    for (owner, status) in [(a, "new"), (a, "working"), (b, "new"), (c, "qualified")] {
        route(
            &app,
            json!({"name": "旧", "status": status, "owner_id": owner}),
        )
        .await;
    }
    rule(&app, "最少", &[], "least_open", sales).await;

    let (_, first) = route(&app, json!({"name": "新1"})).await;
    let (_, second) = route(&app, json!({"name": "新2"})).await;
    let (_, third) = route(&app, json!({"name": "新3"})).await;

    assert_eq!(first, Some(c), "c has no open lead");
    // Now b and c hold one each; the tie goes on in turn after c.
    assert_eq!(second, Some(b));
    assert_eq!(third, Some(c));
}

#[tokio::test]
async fn disabled_people_and_switched_off_rules_are_skipped() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let sales = department(&app, "销售部", None).await;
    let a = member(&app, "a@huaxing.cn", "甲", sales).await;
    let b = member(&app, "b@huaxing.cn", "乙", sales).await;
    let c = member(&app, "c@huaxing.cn", "丙", sales).await;
    let gone = rule(&app, "离职者", &[], "fixed", c).await;
    let off = rule(&app, "停用", &[], "fixed", a).await;
    rule(&app, "轮流", &[], "round_robin", sales).await;
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-rules/{off}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // c has left the company.
    app.db()
        .execute(
            "UPDATE users SET disabled_at = '2026-01-01T00:00:00.000Z' WHERE id = ?1",
            [c],
        )
        .unwrap();

    for i in 0..10 {
        route(&app, json!({"name": format!("线索{i}")})).await;
    }

    assert_eq!((owned(&app, a), owned(&app, b), owned(&app, c)), (5, 5, 0));
    assert_eq!(
        app.query_i64(&format!(
            "SELECT count(*) FROM leads WHERE rule_id = {gone}"
        )),
        0,
        "a rule whose person left gives way to the next"
    );
}

#[tokio::test]
async fn rule_changes_are_audited_with_before_and_after_and_only_for_administrators() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let south = department(&app, "华南区", None).await;
    let east = department(&app, "华东区", None).await;
    let chen = member(&app, "chen@huaxing.cn", "陈南", south).await;
    let first = rule(&app, "华南", &[("province", "广东")], "round_robin", south).await;
    let second = rule(&app, "华东", &[("province", "上海")], "least_open", east).await;
    let create = app.latest_changes("lead_rule.create");
    assert!(
        create.contains("province = 上海") && create.contains("华东区"),
        "{create}"
    );

    let version = app.query_i64(&format!(
        "SELECT version FROM assignment_rules WHERE id = {first}"
    ));
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-rules/{first}"),
            &[
                ("version", &version.to_string()),
                ("name", "华南区"),
                ("cond_field_0", "province"),
                ("cond_value_0", "广东, 海南"),
                ("cond_field_1", "industry_id"),
                ("cond_value_1", "不存在的行业"),
                ("method", "fixed"),
                ("user_id", &chen.to_string()),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains(&text("lead_rule.error.industry")));
    assert!(html.contains("广东, 海南"), "the input is kept");

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-rules/{first}"),
            &[
                ("version", &version.to_string()),
                ("name", "华南区"),
                ("cond_field_0", "province"),
                ("cond_value_0", "广东, 海南"),
                ("method", "fixed"),
                ("user_id", &chen.to_string()),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let update = app.latest_changes("lead_rule.update");
    for part in [
        r#""field":"conditions","before":"province = 广东","after":"province = 广东,海南""#,
        r#""field":"method","before":"round_robin","after":"fixed""#,
        r#""field":"user","before":null,"after":"陈南""#,
    ] {
        assert!(update.contains(part), "{part} in {update}");
    }

    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-rules/{second}/move"),
            &[("direction", "up")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let order: Vec<i64> = {
        let db = app.db();
        let mut stmt = db
            .prepare("SELECT id FROM assignment_rules ORDER BY position, id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(order, vec![second, first]);
    let r = app
        .post_form(
            &app.client,
            &format!("/admin/lead-rules/{first}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let actions = app.audit_actions();
    for a in ["lead_rule.move", "lead_rule.deactivate"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(
        app.latest_changes("lead_rule.deactivate")
            .contains(r#""before":true,"after":false"#)
    );
    let (status, html) = app.get_html("/admin/lead-rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("广东, 海南") && html.contains(&text("lead_rule.method.fixed")));

    let rep = app.signed_in_client("chen@huaxing.cn", PASSWORD).await;
    assert_eq!(
        app.get_as(&rep, "/admin/lead-rules").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(
            &rep,
            &format!("/admin/lead-rules/{second}/active"),
            &[("active", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
