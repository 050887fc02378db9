//! The notification centre, the header bell, and the jobs that send task reminders and
//! stalled-deal alerts (run directly with a chosen clock: no waiting).

mod centre;
mod jobs;

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use kith::crm::notifications::jobs::{JobReport, run_due};
use reqwest::Client;

pub const REP: &str = "zhao@huaxing.cn";
pub const MANAGER: &str = "li@huaxing.cn";

/// A signed-in administrator, a sales rep and the rep's manager.
struct Team {
    app: TestApp,
    rep: i64,
    manager: i64,
    company: i64,
}

async fn team() -> Team {
    let app = spawn_app().await;
    app.complete_setup().await;
    let manager = app
        .create_user(MANAGER, "李经理", "manager", PASSWORD)
        .await;
    let rep = app.create_user(REP, "赵销售", "sales", PASSWORD).await;
    let db = app.db();
    db.execute(
        "UPDATE users SET manager_id = ?1 WHERE id = ?2",
        [manager, rep],
    )
    .unwrap();
    db.execute(
        "INSERT INTO companies (name, name_norm, owner_id, created_at, updated_at)
         VALUES ('华为技术', '华为技术', ?1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        [rep],
    )
    .unwrap();
    let company = db.last_insert_rowid();
    Team {
        app,
        rep,
        manager,
        company,
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn run(app: &TestApp, now: DateTime<Utc>) -> JobReport {
    run_due(&app.state.db, now).unwrap()
}

impl Team {
    fn task(&self, title: &str, due: Option<&str>, assignee: Option<i64>) -> i64 {
        let db = self.app.db();
        db.execute(
            "INSERT INTO tasks (company_id, title, due_date, assignee_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            rusqlite::params![self.company, title, due, assignee],
        )
        .unwrap();
        db.last_insert_rowid()
    }

    /// A deal owned by the rep at a new stage of a new pipeline.
    fn deal(
        &self,
        name: &str,
        stage: (&str, Option<i64>),
        entered: DateTime<Utc>,
        activity: Option<DateTime<Utc>>,
    ) -> i64 {
        let db = self.app.db();
        db.execute(
            "INSERT INTO pipelines (name, created_at, updated_at) VALUES (?1, 't', 't')",
            [format!("{name} 管道")],
        )
        .unwrap();
        let pipeline = db.last_insert_rowid();
        db.execute(
            "INSERT INTO stages (pipeline_id, name, position, probability, outcome, stall_days)
             VALUES (?1, '谈判', 1, 60, ?2, ?3)",
            rusqlite::params![pipeline, stage.0, stage.1],
        )
        .unwrap();
        let stage_id = db.last_insert_rowid();
        db.execute(
            "INSERT INTO deals (name, company_id, pipeline_id, stage_id, owner_id,
                                stage_entered_at, last_activity_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?6)",
            rusqlite::params![
                name,
                self.company,
                pipeline,
                stage_id,
                self.rep,
                stamp(entered),
                activity.map(stamp)
            ],
        )
        .unwrap();
        db.last_insert_rowid()
    }

    fn notifications(&self, user: i64, kind: &str) -> i64 {
        self.app.query_i64(&format!(
            "SELECT count(*) FROM notifications WHERE user_id = {user} AND kind = '{kind}'"
        ))
    }

    async fn signed_in(&self, email: &str) -> Client {
        self.app.signed_in_client(email, PASSWORD).await
    }
}

fn notify(app: &TestApp, user: i64, kind: &str, params: &str, link: &str) -> i64 {
    let db = app.db();
    db.execute(
        "INSERT INTO notifications (user_id, kind, params, link, created_at)
         VALUES (?1, ?2, ?3, ?4, '2026-03-02T02:00:00.000Z')",
        rusqlite::params![user, kind, params, link],
    )
    .unwrap();
    db.last_insert_rowid()
}
