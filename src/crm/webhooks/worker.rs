//! Delivering queued webhook calls in the background.
//!
//! One thread wakes every [`TICK`], reads the due deliveries, and sends each webhook's share
//! on its own scoped thread, so a slow receiver holds up only its own deliveries (and at most
//! for the timeout). No lock or transaction is held while a request is in flight: the
//! deliveries are read first, then each outcome is written on its own as bookkeeping.

use super::deliver::{self, Client, Delivery, MAX_ATTEMPTS, Outcome};
use super::sign;
use super::store::{self, Due};
use super::tls::{Trust, WebhooksConfig};
use crate::db::Db;
use crate::error::AppError;
use crate::server::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long one attempt may take, connecting, sending and reading together.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// How often the worker looks for due deliveries.
const TICK: Duration = Duration::from_secs(2);
/// Most deliveries of one webhook sent per round.
const PER_HOOK: i64 = 20;
/// Most deliveries sent per round.
const BATCH: i64 = 100;
/// Most of a receiver's error response kept in the log.
const ERROR_EXCERPT: usize = 200;

/// What one round did, for the log line and for tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// Acknowledged with a 2xx.
    pub delivered: usize,
    /// Failed and scheduled for another attempt.
    pub retrying: usize,
    /// Failed for the last time.
    pub failed: usize,
    /// Given up without an attempt because their webhook is switched off.
    pub skipped: usize,
}

impl RunReport {
    /// Deliveries this round touched.
    pub fn total(&self) -> usize {
        self.delivered + self.retrying + self.failed + self.skipped
    }

    fn add(&mut self, other: RunReport) {
        self.delivered += other.delivered;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// Starts the delivery loop for a running server. The trusted certificate authorities are
/// read on the worker's thread, so reading the server's store never delays start-up.
pub fn spawn(state: web::Data<AppState>) {
    let spawned = std::thread::Builder::new()
        .name("webhooks".into())
        .spawn(move || {
            let trust = Trust::load(&state.config.webhooks).or_else(|e| {
                tracing::error!("Webhooks: {e}; trusting the built-in authorities only");
                Trust::load(&WebhooksConfig::default())
            });
            let client = match trust {
                Ok(trust) => Client {
                    timeout: TIMEOUT,
                    trust,
                },
                Err(e) => return tracing::error!("Webhooks cannot start: {e}"),
            };
            loop {
                match run_due(&state.db, Utc::now(), &client) {
                    Ok(r) if r.total() > 0 => tracing::info!(
                        webhooks.delivered = r.delivered,
                        webhooks.retrying = r.retrying,
                        webhooks.failed = r.failed,
                        "Webhooks: {} delivered, {} to retry, {} failed, {} skipped",
                        r.delivered,
                        r.retrying,
                        r.failed,
                        r.skipped
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("Could not deliver webhooks: {e}"),
                }
                std::thread::sleep(TICK);
            }
        });
    if let Err(e) = spawned {
        tracing::error!("Could not start the webhook worker: {e}");
    }
}

/// Sends every delivery due at `now` (each attempt bounded by the client's timeout) and records the
/// outcomes: delivered, scheduled again after [`deliver::backoff`], or failed once
/// [`MAX_ATTEMPTS`] attempts were made. `now` is injectable so the schedule can be tested
/// without waiting.
pub fn run_due(db: &Db, now: DateTime<Utc>, client: &Client) -> Result<RunReport, AppError> {
    let at = store::stamp(now);
    let due = db.read_blocking(|c| Ok(store::due(c, &at, PER_HOOK, BATCH)?))?;
    let mut groups: Vec<Vec<Due>> = Vec::new();
    for d in due {
        match groups
            .iter_mut()
            .find(|g| g.first().is_some_and(|f| f.webhook_id == d.webhook_id))
        {
            Some(g) => g.push(d),
            None => groups.push(vec![d]),
        }
    }
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|g| s.spawn(move || send_all(db, now, client, g)))
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut report = RunReport::default();
    let mut error = None;
    for result in results {
        match result {
            Ok(Ok(r)) => report.add(r),
            Ok(Err(e)) => error = Some(e),
            Err(_) => error = Some(AppError::Internal(anyhow::anyhow!("a sender panicked"))),
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

/// Sends one webhook's due deliveries in order. When its receiver cannot be reached, the
/// rest wait for the next round instead of each waiting out the timeout now.
fn send_all(
    db: &Db,
    now: DateTime<Utc>,
    client: &Client,
    due: Vec<Due>,
) -> Result<RunReport, AppError> {
    let mut report = RunReport::default();
    for d in due {
        // A paused webhook gets no changes; a test is still sent when asked for.
        if !d.active && d.event != super::events::TEST_EVENT {
            let why = "the webhook is switched off";
            db.bookkeeping_blocking(|c| store::mark_skipped(c, d.id, why))?;
            report.skipped += 1;
            continue;
        }
        let outcome = send(&d, client);
        let attempts = u32::try_from(d.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        if let Some(status) = outcome.status.filter(|_| outcome.ok()) {
            let at = store::stamp(now);
            db.bookkeeping_blocking(|c| store::mark_delivered(c, d.id, status, &at))?;
            report.delivered += 1;
            continue;
        }
        let next =
            (attempts < MAX_ATTEMPTS).then(|| store::stamp(now + deliver::backoff(attempts)));
        let error = describe(&outcome);
        tracing::debug!(
            webhook.id = d.webhook_id,
            delivery.id = d.id,
            "Delivery {} to webhook {} failed (attempt {attempts}): status {:?}, {}",
            d.id,
            d.webhook_id,
            outcome.status,
            error.as_deref().unwrap_or_default()
        );
        db.bookkeeping_blocking(|c| {
            store::mark_attempt_failed(c, d.id, outcome.status, error.as_deref(), next.as_deref())
        })?;
        match next {
            Some(_) => report.retrying += 1,
            None => report.failed += 1,
        }
        if outcome.status.is_none() {
            break;
        }
    }
    Ok(report)
}

/// One attempt: the stored body exactly as queued, signed at the time of sending.
fn send(d: &Due, client: &Client) -> Outcome {
    let body = d.payload.as_bytes();
    let signature = sign::header_value(&d.secret, Utc::now().timestamp(), body);
    let headers = [
        (sign::HEADER, signature),
        ("X-Kith-Event", d.event.clone()),
        ("X-Kith-Delivery", d.id.to_string()),
    ];
    let delivery = Delivery {
        url: &d.url,
        body,
        headers: &headers,
    };
    deliver::post(&delivery, client)
}

/// The log's reason for a failed attempt: the client's error when no status came back,
/// else the start of what the receiver answered (its status is logged beside it).
fn describe(outcome: &Outcome) -> Option<String> {
    if let Some(error) = &outcome.error {
        return Some(error.clone());
    }
    let excerpt = outcome.response_excerpt.trim();
    (!excerpt.is_empty()).then(|| excerpt.chars().take(ERROR_EXCERPT).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Option<u16>, error: Option<&str>, excerpt: &str) -> Outcome {
        Outcome {
            status,
            error: error.map(str::to_string),
            duration_ms: 1,
            response_excerpt: excerpt.into(),
        }
    }

    #[test]
    fn failures_are_described_by_the_error_or_the_start_of_the_answer() {
        let timed_out = outcome(None, Some("connect to x: timed out"), "");
        assert_eq!(
            describe(&timed_out).as_deref(),
            Some("connect to x: timed out")
        );
        assert_eq!(describe(&outcome(Some(500), None, " \n")), None);
        let long = "e".repeat(1000);
        let text = describe(&outcome(Some(503), None, &long)).unwrap();
        assert_eq!(text.chars().count(), ERROR_EXCERPT);
    }

    #[test]
    fn reports_add_up() {
        let mut r = RunReport {
            delivered: 1,
            ..Default::default()
        };
        r.add(RunReport {
            retrying: 2,
            failed: 3,
            skipped: 4,
            ..Default::default()
        });
        assert_eq!(r.total(), 10);
    }
}
