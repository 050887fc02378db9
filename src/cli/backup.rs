//! `kith backup run|list|verify|keygen` and `kith restore`.

use super::BackupCommand;
use crate::backup::{self, Backups, Kind, Manifest, restore::restore as restore_file};
use crate::config::Config;
use crate::db::Actor;
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// `kith backup ...`.
pub fn backup(config: &Config, cmd: BackupCommand) -> anyhow::Result<()> {
    match cmd {
        BackupCommand::Run => {
            let db = super::admin::open(config, false)?;
            let tz = backup::time_zone(&db);
            let result = Backups::new(config).run(Kind::Manual, chrono::Utc::now(), tz);
            backup::record(&db, &config.data.dir, Actor::cli(), &result);
            let o = result?;
            println!(
                "{}: {} ({} of data), verified, in {:.1} s",
                o.path.display(),
                megabytes(o.manifest.payload_bytes),
                megabytes(o.manifest.database_bytes),
                o.seconds
            );
            for gone in &o.removed {
                println!("removed by retention: {}", gone.display());
            }
            Ok(())
        }
        BackupCommand::List => {
            let backups = Backups::new(config);
            let all = backups.list();
            if all.is_empty() {
                println!("no backups in {}", backups.folder().display());
            }
            for b in all {
                let name = if b.group.is_empty() {
                    b.name.clone()
                } else {
                    format!("{}/{}", b.group, b.name)
                };
                match &b.manifest {
                    Some(m) => println!(
                        "{}  {:>10}  verified  schema {}  {}{}  {}",
                        m.created,
                        megabytes(b.bytes),
                        m.schema_version,
                        serde_json::to_value(m.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        if m.encryption == "none" {
                            String::new()
                        } else {
                            format!(" encrypted ({})", m.encryption)
                        },
                        name
                    ),
                    None => println!(
                        "{:20}  {:>10}  DAMAGED   {}  {name}",
                        "?",
                        megabytes(b.bytes),
                        b.problem.unwrap_or_default()
                    ),
                }
            }
            Ok(())
        }
        BackupCommand::Verify { file } => {
            let started = std::time::Instant::now();
            let m = Backups::new(config)
                .verify(&file)
                .with_context(|| format!("{} is not a good backup", file.display()))?;
            println!(
                "OK: {} from {}, schema {}, {} tables, {} audit entries, checked in {:.1} s",
                file.display(),
                m.created,
                m.schema_version,
                m.row_counts.len(),
                m.audit.entries,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        BackupCommand::Keygen { file } => {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
                .with_context(|| format!("cannot create {}", file.display()))?;
            restrict(&file);
            out.write_all(backup::generate_key().as_bytes())?;
            out.sync_all()?;
            println!(
                "Wrote a backup key to {}. Set backup.key_file to it, and keep a copy away from this server: backups cannot be restored without it.",
                file.display()
            );
            Ok(())
        }
    }
}

#[cfg(unix)]
fn restrict(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn restrict(_file: &Path) {}

/// `kith restore FILE`.
pub fn restore(config: &Config, file: &Path, yes: bool, stop_server: bool) -> anyhow::Result<()> {
    if !file.exists() {
        bail!("no such file: {}", file.display());
    }
    let confirm = |m: &Manifest| {
        if yes {
            return true;
        }
        let contacts = m.row_counts.get("contacts").copied().unwrap_or(0);
        let companies = m.row_counts.get("companies").copied().unwrap_or(0);
        eprintln!(
            "The backup is good: taken {}, schema {}, {companies} companies, {contacts} contacts.\n\
             Restoring replaces ALL data in {} with it (the current data is kept aside first).",
            m.created,
            m.schema_version,
            config.data.dir.display()
        );
        if !std::io::stdin().is_terminal() {
            eprintln!("Not asking without a terminal: pass --yes to restore.");
            return false;
        }
        eprint!("Type yes to restore: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line.trim().eq_ignore_ascii_case("yes")
    };
    let r = restore_file(config, file, stop_server, confirm)
        .with_context(|| format!("cannot restore {}", file.display()))?;
    println!(
        "Restored {} (taken {}, schema {}) in {:.1} s.",
        file.display(),
        r.manifest.created,
        r.manifest.schema_version,
        r.seconds
    );
    if let Some(v) = r.migrated_from {
        println!(
            "The backup's schema {v} was upgraded to {}.",
            crate::db::LATEST_VERSION
        );
    }
    if let Some(dir) = r.safety_copy {
        println!("The data it replaced is kept in {}.", dir.display());
    }
    println!("Start the server again with `kith serve`.");
    Ok(())
}
