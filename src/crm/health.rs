//! `GET /healthz`: whether the database answers and which schema it has, for monitoring.

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
    let healthy = db_ok && version == Some(db::LATEST_VERSION);
    let body = json!({
        "status": if healthy { "ok" } else { "unhealthy" },
        "version": env!("CARGO_PKG_VERSION"),
        "checks": {
            "database": { "ok": db_ok, "error": error },
            "schema": { "ok": version == Some(db::LATEST_VERSION), "version": version, "expected": db::LATEST_VERSION },
        },
        "failing": if !db_ok { Some("database") } else if !healthy { Some("schema") } else { None },
    });
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
