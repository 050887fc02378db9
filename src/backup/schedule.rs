//! The backup schedule: a cron expression in the company's time zone, run inside `kith serve`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// Parses a five-field cron expression such as `0 2 * * *`.
pub fn parse(expr: &str) -> Result<Cron, String> {
    expr.trim()
        .parse::<Cron>()
        .map_err(|e| format!("not a cron expression such as \"0 2 * * *\" ({e})"))
}

/// The first scheduled time after `now`.
pub fn next(cron: &Cron, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    cron.find_next_occurrence(&now.with_timezone(&tz), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The most recent scheduled time at or before `now`.
pub fn previous(cron: &Cron, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    cron.find_previous_occurrence(&now.with_timezone(&tz), true)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a scheduled run was missed: a scheduled time passed after the newest good
/// backup (or, with none yet, after the server first came up) without a backup.
pub fn missed(
    cron: &Cron,
    last_good: Option<DateTime<Utc>>,
    up_since: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> bool {
    let Some(slot) = previous(cron, now, tz) else {
        return false;
    };
    match last_good {
        Some(last) => slot > last,
        None => slot > up_since,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn shanghai() -> Tz {
        "Asia/Shanghai".parse().unwrap()
    }

    #[test]
    fn nightly_runs_at_two_in_the_company_time_zone() {
        let cron = parse("0 2 * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap(); // 20:00 in Shanghai
        let next = next(&cron, now, shanghai()).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0).unwrap());
    }

    #[test]
    fn a_run_missed_while_the_server_was_down_is_noticed() {
        let cron = parse("0 2 * * *").unwrap();
        let tz = shanghai();
        let last = Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 5).unwrap(); // 23rd 02:00 local
        let up = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let before_next = Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0).unwrap();
        assert!(!missed(&cron, Some(last), up, before_next, tz));
        let after_next = Utc.with_ymd_and_hms(2026, 11, 23, 19, 0, 0).unwrap();
        assert!(missed(&cron, Some(last), up, after_next, tz));
        // A fresh install is not "late" before its first scheduled time has come.
        let fresh = Utc.with_ymd_and_hms(2026, 11, 23, 19, 0, 0).unwrap();
        assert!(!missed(&cron, None, fresh, fresh, tz));
    }

    #[test]
    fn nonsense_is_refused_with_an_example() {
        let err = parse("every night").unwrap_err();
        assert!(err.contains("0 2 * * *"), "{err}");
    }
}
