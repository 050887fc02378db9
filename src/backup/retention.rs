//! Which backups to keep: the newest few, then the newest of each recent day, week and
//! month (grandfather-father-son), with an optional age limit. A pure function of the list,
//! the clock and the policy, so it is tested against a simulated calendar.

use super::config::BackupConfig;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Names the calendar period (year and day, week or month) a backup falls into.
type Bucket<'a> = dyn Fn(usize) -> (i32, u32) + 'a;

/// Returns the indexes into `taken` (times the backups were taken, any order) that the
/// policy removes. The newest backup is always kept.
pub fn to_remove(
    taken: &[DateTime<Utc>],
    now: DateTime<Utc>,
    tz: Tz,
    policy: &BackupConfig,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..taken.len()).collect();
    order.sort_by(|a, b| taken[*b].cmp(&taken[*a]));
    let mut keep = BTreeSet::new();
    keep.extend(order.iter().take(policy.keep_last as usize).copied());
    let local = |i: usize| taken[i].with_timezone(&tz);
    let buckets: [(u32, &Bucket); 3] = [
        (policy.keep_daily, &|i| {
            (local(i).year(), local(i).ordinal())
        }),
        (policy.keep_weekly, &|i| {
            let w = local(i).iso_week();
            (w.year(), w.week())
        }),
        (policy.keep_monthly, &|i| {
            (local(i).year(), local(i).month())
        }),
    ];
    for (count, bucket) in buckets {
        let mut seen = BTreeSet::new();
        for &i in &order {
            if seen.len() >= count as usize {
                break;
            }
            // Newest first, so the first backup met in a bucket is that bucket's newest.
            if seen.insert(bucket(i)) {
                keep.insert(i);
            }
        }
    }
    if policy.max_age_days > 0 {
        let limit = now - chrono::Duration::days(i64::from(policy.max_age_days));
        keep.retain(|&i| taken[i] >= limit);
    }
    if let Some(&newest) = order.first() {
        keep.insert(newest);
    }
    order.retain(|i| !keep.contains(i));
    order.sort_unstable();
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn policy(last: u32, daily: u32, weekly: u32, monthly: u32, age: u32) -> BackupConfig {
        BackupConfig {
            keep_last: last,
            keep_daily: daily,
            keep_weekly: weekly,
            keep_monthly: monthly,
            max_age_days: age,
            ..BackupConfig::default()
        }
    }

    /// Runs a nightly 02:00 (Shanghai) backup for `days` days starting 2026-01-01, applying
    /// retention after each one as the scheduler does, and returns the dates kept.
    fn simulate(days: i64, p: &BackupConfig) -> Vec<String> {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut kept: Vec<DateTime<Utc>> = Vec::new();
        for d in 0..days {
            let day = start + chrono::Duration::days(d);
            let at = tz
                .from_local_datetime(&day.and_hms_opt(2, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc);
            kept.push(at);
            let gone = to_remove(&kept, at, tz, p);
            kept = kept
                .iter()
                .enumerate()
                .filter(|(i, _)| !gone.contains(i))
                .map(|(_, t)| *t)
                .collect();
        }
        kept.sort();
        kept.iter()
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .collect()
    }

    #[test]
    fn a_year_of_nightly_backups_keeps_days_weeks_and_months() {
        // 2026-01-01 .. 2026-12-31 (365 nights), keep 3 newest, 7 daily, 4 weekly, 12 monthly.
        let kept = simulate(365, &policy(3, 7, 4, 12, 0));
        let expected = [
            // Newest of each month (Jan..Nov); December's newest is the newest overall.
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
            "2026-07-31",
            "2026-08-31",
            "2026-09-30",
            "2026-10-31",
            "2026-11-30",
            // Newest of each ISO week: weeks ending Sun 12-13, 12-20, 12-27 (and the current).
            "2026-12-13",
            "2026-12-20",
            // The last 7 days (which include the newest 3 and the current week's newest).
            "2026-12-25",
            "2026-12-26",
            "2026-12-27",
            "2026-12-28",
            "2026-12-29",
            "2026-12-30",
            "2026-12-31",
        ];
        assert_eq!(kept, expected);
    }

    #[test]
    fn the_age_limit_removes_old_backups_but_never_the_newest() {
        let kept = simulate(60, &policy(1, 7, 4, 12, 10));
        // 2026-01-01 + 59 days = 2026-03-01; older than 10 days goes even if monthly.
        assert_eq!(
            kept,
            [
                "2026-02-22",
                "2026-02-23",
                "2026-02-24",
                "2026-02-25",
                "2026-02-26",
                "2026-02-27",
                "2026-02-28",
                "2026-03-01"
            ]
        );
        let tz: Tz = "UTC".parse().unwrap();
        let old = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let gone = to_remove(&[old], Utc::now(), tz, &policy(1, 0, 0, 0, 1));
        assert!(gone.is_empty(), "the only backup is kept however old");
    }

    #[test]
    fn keep_last_keeps_several_backups_of_one_day() {
        let tz: Tz = "UTC".parse().unwrap();
        let base = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
        let taken: Vec<_> = (0..6).map(|h| base + chrono::Duration::hours(h)).collect();
        let gone = to_remove(&taken, base, tz, &policy(3, 7, 0, 0, 0));
        assert_eq!(gone, vec![0, 1, 2]);
    }
}
