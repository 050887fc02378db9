//! Backup benchmark: takes a backup of a seeded database while a writer keeps changing
//! contacts through the audited write path, then verifies the backup, and prints the
//! backup and verify times, the sizes, and the writer's latency before and during.
//!
//!     cargo bench --bench backup -- [--scale 1000000] [--data DIR]
//!
//! With `--data DIR` an existing seeded folder is reused; otherwise a temporary one is
//! seeded (a million contacts take about two minutes to seed).

use kith::audit::Event;
use kith::backup::{Backups, Kind};
use kith::config::Config;
use kith::db::{Actor, Db};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn seed(data: &Path, scale: usize) {
    if data.join("kith.db").exists() {
        println!("reusing {}", data.display());
        return;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--data")
        .arg(data)
        .args(["seed", "--scale", &scale.to_string()])
        .output()
        .expect("seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes one audited change every few milliseconds until told to stop; returns the
/// latency of each write and the number that failed.
fn writer(db: Db, stop: Arc<AtomicBool>) -> (Vec<Duration>, usize) {
    let (mut latencies, mut failed) = (Vec::new(), 0);
    let mut id: i64 = 1;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let result = db.write_blocking(Actor::system("bench"), move |tx| {
            tx.conn().execute(
                "UPDATE contacts SET updated_at = ?1, version = version + 1 WHERE id = ?2",
                rusqlite::params![kith::db::now(), id],
            )?;
            tx.audit(Event::new("contact.update").entity("contact", id))
        });
        match result {
            Ok(_) => latencies.push(started.elapsed()),
            Err(_) => failed += 1,
        }
        id = id % 100_000 + 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    (latencies, failed)
}

fn report(label: &str, (mut l, failed): (Vec<Duration>, usize)) {
    l.sort();
    let at = |q: f64| l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{label}: {} writes, {failed} failed, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(l.last())
    );
}

fn main() {
    let scale = arg("--scale")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let temp = tempfile::tempdir().expect("temp dir");
    let data = arg("--data").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&data).expect("data dir");
    seed(&data, scale);
    let mut config = Config::default();
    config.data.dir = data.clone();
    config.backup.dir = data.join("bench-backups");
    config.backup.min_free_megabytes = 100;
    let db = Db::open(&config.db_path(), 2).expect("open");
    let db_bytes = std::fs::metadata(config.db_path())
        .map(|m| m.len())
        .unwrap_or(0);
    println!("database: {:.0} MB", db_bytes as f64 / 1e6);

    let stop = Arc::new(AtomicBool::new(false));
    let w = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || writer(db, stop))
    };
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    report("writes before the backup", w.join().expect("writer"));

    let stop = Arc::new(AtomicBool::new(false));
    let w = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::spawn(move || writer(db, stop))
    };
    let backups = Backups::new(&config);
    let outcome = backups
        .run(Kind::Manual, chrono::Utc::now(), chrono_tz::Tz::UTC)
        .expect("backup");
    stop.store(true, Ordering::Relaxed);
    report("writes during the backup", w.join().expect("writer"));
    println!(
        "backup (copy, integrity check, compress, checksum): {:.1} s, {:.0} MB -> {:.0} MB",
        outcome.seconds,
        outcome.manifest.database_bytes as f64 / 1e6,
        outcome.manifest.payload_bytes as f64 / 1e6
    );
    let started = Instant::now();
    backups.verify(&outcome.path).expect("verify");
    println!(
        "verify (checksum, decompress, integrity check, row counts): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&outcome.path);
}
