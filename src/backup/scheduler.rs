//! Backups inside `kith serve`: the schedule, catching up a run missed while the server was
//! down, "back up now", and the health summary behind `/healthz` and the admin banner.

use super::{Backups, Kind, record, schedule, status, time_zone};
use crate::db::Actor;
use crate::server::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// How long after start a missed run is caught up, so the server settles first.
const CATCH_UP_DELAY: Duration = Duration::from_secs(60);
/// The scheduler wakes at least this often, so clock changes are noticed.
const TICK: Duration = Duration::from_secs(60);

/// How backups are doing, for `/healthz`, the banner and the admin page.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// The newest good backup's time.
    pub last_good: Option<String>,
    /// Its age in hours.
    pub age_hours: Option<f64>,
    /// True when the newest good backup (or, with none, the server's uptime) is older than
    /// `alert_after_hours`.
    pub overdue: bool,
    /// The newest failure, when it is newer than the newest success.
    pub failure: Option<status::Run>,
    /// Whether a backup is running now.
    pub running: bool,
}

impl Health {
    /// When the checks could not run at all.
    pub fn unknown() -> Health {
        Health {
            last_good: None,
            age_hours: None,
            overdue: true,
            failure: None,
            running: false,
        }
    }

    /// Whether an administrator should be warned.
    pub fn alert(&self) -> bool {
        self.overdue || self.failure.is_some()
    }
}

/// The backup health behind the administrators' banner, remembered while the status file
/// and the backup folder stay unchanged (for a few seconds at most): every page an
/// administrator opens shows it, and working it out reads every backup's manifest.
#[derive(Default)]
pub struct Banner(std::sync::Mutex<Option<(std::time::Instant, Seen, Health)>>);

/// When the status file and the backup folder last changed.
type Seen = (Option<std::time::SystemTime>, Option<std::time::SystemTime>);

/// How long the banner's health may be reused when nothing on disk changed.
const BANNER_FOR: Duration = Duration::from_secs(5);

impl Banner {
    /// The health to warn about, if any.
    pub fn alert(&self, state: &AppState) -> Option<Health> {
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let seen = (
            modified(&status::path(&state.config.data.dir)),
            modified(&state.config.backup_dir()),
        );
        let mut slot = self.0.lock().ok()?;
        let health = match slot.as_ref() {
            Some((at, was, h)) if *was == seen && at.elapsed() < BANNER_FOR => h.clone(),
            _ => {
                let h = health(state);
                *slot = Some((std::time::Instant::now(), seen, h.clone()));
                h
            }
        };
        health.alert().then_some(health)
    }
}

/// Works out the backup health now.
pub fn health(state: &AppState) -> Health {
    let backups = Backups::new(&state.config);
    let now = Utc::now();
    let last_good = backups.newest_good();
    let limit = chrono::Duration::hours(i64::from(state.config.backup.alert_after_hours));
    let since = last_good.unwrap_or(state.started);
    let st = status::read(&state.config.data.dir);
    Health {
        last_good: last_good.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        age_hours: last_good.map(|t| ((now - t).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0),
        overdue: now - since > limit,
        failure: if st.failing() { st.last_failure } else { None },
        running: backups.running(),
    }
}

/// Takes one backup now, recording the outcome; `actor` is who asked.
pub fn run_now(state: &AppState, kind: Kind, actor: Actor) -> bool {
    let backups = Backups::new(&state.config);
    let tz = time_zone(&state.db);
    let result = backups.run(kind, Utc::now(), tz);
    let ok = result.is_ok();
    record(&state.db, &state.config.data.dir, actor, &result);
    ok
}

/// Starts the scheduler thread when a schedule is configured.
pub fn spawn(state: web::Data<AppState>) {
    let expr = state.config.backup.schedule.trim().to_string();
    if expr.is_empty() {
        tracing::info!("No backup schedule configured; `kith backup run` takes one by hand");
        return;
    }
    let Ok(cron) = schedule::parse(&expr) else {
        return; // validated with the configuration
    };
    let spawned = std::thread::Builder::new()
        .name("backup-scheduler".into())
        .spawn(move || {
            let backups = Backups::new(&state.config);
            let now = Utc::now();
            let tz = time_zone(&state.db);
            let mut due: Option<DateTime<Utc>> =
                if schedule::missed(&cron, backups.newest_good(), state.started, now, tz) {
                    tracing::warn!(
                        "A scheduled backup was missed while the server was down; taking it now"
                    );
                    Some(now + chrono::Duration::from_std(CATCH_UP_DELAY).unwrap_or_default())
                } else {
                    schedule::next(&cron, now, tz)
                };
            loop {
                let now = Utc::now();
                match due {
                    Some(at) if at <= now => {
                        run_now(&state, Kind::Scheduled, Actor::system("scheduler"));
                        due = schedule::next(&cron, Utc::now(), time_zone(&state.db));
                    }
                    Some(at) => {
                        let wait = (at - now).to_std().unwrap_or_default().min(TICK);
                        std::thread::sleep(wait);
                    }
                    None => return,
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("Could not start the backup scheduler: {e}");
    }
}
