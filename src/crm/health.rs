//! `GET /healthz`: the database answers with the expected schema, the newest good backup
//! is recent enough, and how much disk is free, for monitoring.

use crate::backup::scheduler;
use crate::db;
use crate::server::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// 200 with the checks when healthy, 503 naming the failing check otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let result = state
        .db
        // Reading the schema version is the round trip that proves the database answers.
        .read(|c| Ok((true, db::schema_version(c)?)))
        .await;
    let (db_ok, version, error) = match result {
        Ok((ok, v)) => (ok, Some(v), None),
        Err(e) => {
            tracing::warn!("Health check: the database did not answer: {e}");
            (false, None, Some("the database did not answer"))
        }
    };
    let schema_ok = version == Some(db::LATEST_VERSION);
    let checks = state.clone();
    let (backup, free_mb) = web::block(move || {
        let free = fs4::available_space(&checks.config.data.dir).ok();
        (scheduler::health(&checks), free.map(|b| b / (1024 * 1024)))
    })
    .await
    .unwrap_or((scheduler::Health::unknown(), None));
    let failing = if !db_ok {
        Some("database")
    } else if !schema_ok {
        Some("schema")
    } else if backup.overdue {
        Some("backup")
    } else {
        None
    };
    let body = json!({
        "status": if failing.is_none() { "ok" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "checks": {
            "database": { "ok": db_ok, "error": error },
            "schema": { "ok": schema_ok, "version": version, "expected": db::LATEST_VERSION },
            "backup": {
                "ok": !backup.overdue,
                "last_good": backup.last_good,
                "age_hours": backup.age_hours,
                "alert_after_hours": state.config.backup.alert_after_hours,
                "running": backup.running,
                "last_failure": backup.failure,
            },
            "disk": { "free_megabytes": free_mb },
        },
        "failing": failing,
    });
    if failing.is_none() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
