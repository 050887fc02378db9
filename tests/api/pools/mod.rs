//! Public pools (公海): quiet records return by the reclaim job (run with a chosen clock),
//! reps claim up to a limit, owners put records back, managers hand them out; every move
//! is audited on the record and shows in its history.

mod admin;
mod moves;
mod reclaim;

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use kith::crm::pools::jobs::{ReclaimReport, reclaim};
use kith::web::i18n::Lang;
use reqwest::{Client, StatusCode};

const REP_A: &str = "zhang@huaxing.cn";
const REP_B: &str = "li@huaxing.cn";
const OUTSIDER: &str = "wu@huaxing.cn";
const MANAGER: &str = "chen@huaxing.cn";

/// 销售部 with 华北区 below it, and 客服部 apart; two reps in 华北区, their manager in
/// 销售部, a rep in 客服部; a leads pool for 销售部 (7 days, 2 per rep).
struct Team {
    app: TestApp,
    a: i64,
    b: i64,
    outsider: i64,
    pool: i64,
}

async fn team() -> Team {
    let app = spawn_app().await;
    app.complete_setup().await;
    let a = app.create_user(REP_A, "张伟", "sales", PASSWORD).await;
    let b = app.create_user(REP_B, "李娜", "sales", PASSWORD).await;
    let outsider = app.create_user(OUTSIDER, "吴敏", "sales", PASSWORD).await;
    let manager = app
        .create_user(MANAGER, "陈经理", "manager", PASSWORD)
        .await;
    let sales = department(&app, "销售部", None).await;
    let north = department(&app, "华北区", Some(sales)).await;
    let service = department(&app, "客服部", None).await;
    for (user, dept) in [
        (a, north),
        (b, north),
        (manager, sales),
        (outsider, service),
    ] {
        let r = app
            .post_form(
                &app.client,
                "/admin/departments/place",
                &[
                    ("user_id", &user.to_string()),
                    ("department_id", &dept.to_string()),
                    ("manager_id", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let pool = add_pool(&app, "销售公海", "leads", "7", "2", &sales.to_string()).await;
    Team {
        app,
        a,
        b,
        outsider,
        pool,
    }
}

async fn department(app: &TestApp, name: &str, parent: Option<i64>) -> i64 {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let r = app
        .post_form(
            &app.client,
            "/admin/departments",
            &[("name", name), ("parent_id", &parent)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.db()
        .query_row("SELECT id FROM departments WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
}

async fn add_pool(
    app: &TestApp,
    name: &str,
    entity: &str,
    days: &str,
    limit: &str,
    dept: &str,
) -> i64 {
    let fields = [
        ("name", name),
        ("entity", entity),
        ("days", days),
        ("claim_limit", limit),
        ("department_id", dept),
        ("active", "1"),
    ];
    let r = app.post_form(&app.client, "/admin/pools", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "pool {name} not added");
    app.db()
        .query_row("SELECT id FROM pools WHERE name = ?1", [name], |r| r.get(0))
        .unwrap()
}

fn run(app: &TestApp, now: DateTime<Utc>) -> ReclaimReport {
    reclaim(&app.state.db, now).unwrap()
}

impl Team {
    async fn signed_in(&self, email: &str) -> Client {
        self.app.signed_in_client(email, PASSWORD).await
    }

    /// A lead created by the administrator for `owner`.
    async fn lead(&self, name: &str, owner: i64) -> i64 {
        create_record(
            &self.app,
            "leads",
            &[
                ("name", name),
                ("status", "new"),
                ("source", "website"),
                ("province", "北京"),
                ("owner_id", &owner.to_string()),
            ],
        )
        .await
    }

    /// A lead waiting in the team's pool, put there by rep B.
    async fn pooled(&self, name: &str, b: &Client) -> i64 {
        let id = self.lead(name, self.b).await;
        let r = self.release(b, "leads", id, self.pool).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name} not released");
        id
    }

    async fn release(&self, c: &Client, entity: &str, id: i64, pool: i64) -> reqwest::Response {
        let fields = [
            ("entity", entity),
            ("id", &id.to_string()),
            ("pool", &pool.to_string()),
        ];
        self.app.post_form(c, "/pools/release", &fields).await
    }

    async fn claim(&self, c: &Client, id: i64) -> reqwest::Response {
        let path = format!("/pools/{}/claim", self.pool);
        self.app
            .post_form(c, &path, &[("record", &id.to_string())])
            .await
    }

    async fn follow_up(&self, c: &Client, table: &str, id: i64) {
        let fields = [
            ("kind", "call"),
            ("body", "电话沟通需求"),
            ("outcome", ""),
            ("next_follow_up", ""),
        ];
        let r = self
            .app
            .post_form(c, &format!("/{table}/{id}/followups"), &fields)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "follow-up not logged");
    }

    fn owner(&self, table: &str, id: i64) -> Option<i64> {
        self.app
            .db()
            .query_row(
                &format!("SELECT owner_id FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn pool_of(&self, table: &str, id: i64) -> Option<i64> {
        self.app
            .db()
            .query_row(
                &format!("SELECT pool_id FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn audits(&self, action: &str, id: i64) -> usize {
        let kind = action.split('.').next().unwrap();
        self.app
            .audit_ids_where(&format!(
                "action = '{action}' AND entity_type = '{kind}' AND entity_id = '{id}'"
            ))
            .len()
    }

    fn notification(&self, user: i64, kind: &str) -> Option<(String, String)> {
        self.app
            .db()
            .query_row(
                "SELECT params, link FROM notifications WHERE user_id = ?1 AND kind = ?2
                 ORDER BY id DESC LIMIT 1",
                rusqlite::params![user, kind],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok()
    }

    fn backdate(&self, table: &str, id: i64, days: i64) {
        let then = (Utc::now() - Duration::days(days))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        self.app
            .db()
            .execute(
                &format!("UPDATE {table} SET created_at = ?1 WHERE id = ?2"),
                rusqlite::params![then, id],
            )
            .unwrap();
    }
}

fn en(key: &str) -> String {
    Lang::En.tr(key)
}
