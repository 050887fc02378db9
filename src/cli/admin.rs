//! What the CLI commands do, on the same write path and stores as the web pages.

use super::{AuditCommand, DbCommand, UserCommand};
use crate::audit::{self, Verdict};
use crate::auth::password::{self, check_policy};
use crate::auth::random_token;
use crate::config::Config;
use crate::crm::users::{self, UserInput, store as users_store};
use crate::db::{self, Actor, Db};
use crate::error::AppError;
use crate::server::{self, AppState};
use anyhow::{Context, anyhow, bail};
use std::io::{BufRead, Write};

/// Opens the database; `create` allows a new one, otherwise a missing file is an error.
pub(super) fn open(config: &Config, create: bool) -> anyhow::Result<Db> {
    let path = config.db_path();
    if !create && !path.exists() {
        bail!(
            "no database at {}: pass --data DIR, or start `kith serve` once to create it",
            path.display()
        );
    }
    crate::config::ensure_dir(&config.data.dir)
        .with_context(|| format!("cannot create data folder {}", config.data.dir.display()))?;
    crate::backup::before_upgrade(config)?;
    Db::open(&path, 2).with_context(|| format!("cannot open {}", path.display()))
}

pub(super) fn app(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation { fields, .. } => {
            let text: Vec<String> = fields
                .iter()
                .map(|(f, k)| format!("{f}: {}", crate::web::i18n::Lang::En.tr(k)))
                .collect();
            anyhow!(text.join("; "))
        }
        AppError::NotFound => anyhow!("not found"),
        AppError::Internal(e) => e,
        other => anyhow!(other.to_string()),
    }
}

/// `kith serve`.
pub fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    crate::telemetry::init(&config.log);
    let listen = config.server.listen.clone();
    let url = config.public_url();
    let state = actix_web::web::Data::new(AppState::new(config)?);
    let listener = std::net::TcpListener::bind(&listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let server = server::build(state.clone(), listener)?;
        server::spawn_housekeeping(state.clone());
        crate::crm::webhooks::worker::spawn(state.clone());
        crate::backup::scheduler::spawn(state.clone());
        crate::crm::search::rebuild::spawn(state.db.clone());
        tracing::info!(
            schema.version = db::LATEST_VERSION,
            "Kith {} serving on http://{local} (ready in {} ms)",
            env!("CARGO_PKG_VERSION"),
            started.elapsed().as_millis()
        );
        if let Some(token) = state.setup.token() {
            let minutes = state.config.security.setup_link_minutes;
            println!("\nKith is not set up yet. Open this one-time link to create the administrator:\n\n    {url}/setup/{token}\n\nIt works once and expires in {minutes} minutes (a restart prints a new one).\n");
            let _ = std::io::stdout().flush();
        }
        server.await?;
        anyhow::Ok(())
    })
}

/// A new password from standard input (or generated when `from_stdin` is false), checked
/// against the policy and hashed. Returns the hash and the generated password to print.
fn new_password(
    config: &Config,
    from_stdin: bool,
    personal: &[&str],
) -> anyhow::Result<(String, Option<String>)> {
    let (pw, generated) = if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (random_token(12), true)
    };
    let min = config.security.min_password_length;
    check_policy(&pw, min, personal).map_err(|w| {
        let reason = crate::web::i18n::Lang::En
            .tr(w.message_key())
            .replace("{min}", &min.to_string());
        anyhow!("password: {reason}")
    })?;
    let hash = password::hash(&pw).map_err(app)?;
    Ok((hash, generated.then_some(pw)))
}

/// `kith user ...`.
pub fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
        } => {
            let db = open(config, true)?;
            let input = UserInput {
                email,
                name,
                role,
                ..Default::default()
            };
            let valid = input.validate().map_err(|fields| {
                app(AppError::Validation {
                    message: String::new(),
                    fields,
                })
            })?;
            let (hash, generated) =
                new_password(config, password_stdin, &[&input.email, &input.name])?;
            let id = db
                .write_blocking(Actor::cli(), |tx| users::create(tx, &valid, &hash))
                .map_err(app)?;
            println!(
                "created user {} ({}) with id {id}",
                valid.email.as_str(),
                valid.role.as_str()
            );
            if let Some(pw) = generated {
                println!("password: {pw}");
            }
            Ok(())
        }
        UserCommand::List => {
            let db = open(config, false)?;
            let rows = db
                .read_blocking(|c| Ok(users_store::list(c)?))
                .map_err(app)?;
            println!(
                "{:<6} {:<32} {:<9} {:<10} NAME",
                "ID", "EMAIL", "ROLE", "STATUS"
            );
            for u in rows {
                let status = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<6} {:<32} {:<9} {:<10} {}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    status,
                    u.name
                );
            }
            Ok(())
        }
        UserCommand::Passwd {
            email,
            password_stdin,
        } => {
            let db = open(config, false)?;
            let user = find(&db, &email)?;
            let (hash, generated) =
                new_password(config, password_stdin, &[&user.email, &user.name])?;
            db.write_blocking(Actor::cli(), |tx| {
                users::set_password(tx, user.id, &hash, None)
            })
            .map_err(app)?;
            println!(
                "password changed for {}; their sessions were ended",
                user.email
            );
            if let Some(pw) = generated {
                println!("password: {pw}");
            }
            Ok(())
        }
        UserCommand::Disable { email, transfer_to } => {
            let db = open(config, false)?;
            let user = find(&db, &email)?;
            let to = transfer_to.map(|e| find(&db, &e)).transpose()?;
            let moved = db
                .write_blocking(Actor::cli(), |tx| {
                    // Hand over first: the colleague must be active, the leaver may be already.
                    let moved = match &to {
                        Some(to) => Some(crate::crm::offboarding::transfer(tx, user.id, to.id)?),
                        None => None,
                    };
                    users::disable(tx, user.id, None)?;
                    Ok(moved)
                })
                .map_err(app)?;
            println!("disabled {}; their sessions were ended", user.email);
            if let (Some(m), Some(to)) = (moved, to) {
                println!(
                    "handed {} companies, {} contacts, {} leads, {} deals and {} open tasks to {}",
                    m.companies, m.contacts, m.leads, m.deals, m.tasks, to.email
                );
            }
            Ok(())
        }
    }
}

/// `kith token ...`.
pub fn token(config: &Config, cmd: crate::cli::TokenCommand) -> anyhow::Result<()> {
    let crate::cli::TokenCommand::Create {
        user,
        name,
        read_only,
    } = cmd;
    let db = open(config, false)?;
    let user = find(&db, &user)?;
    if user.disabled_at.is_some() {
        return Err(anyhow!("{} is disabled", user.email));
    }
    let (_, token) = db
        .write_blocking(Actor::cli(), |tx| {
            crate::crm::tokens::create(tx, user.id, &name, !read_only)
        })
        .map_err(app)?;
    eprintln!(
        "made a {} token for {}; it is shown only this once:",
        if read_only { "read-only" } else { "read-write" },
        user.email
    );
    println!("{token}");
    Ok(())
}

/// `kith export ENTITY --format F --out FILE`: everything live, in the company's language.
pub fn export(
    config: &Config,
    entity: &str,
    format: &str,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::crm::exports::{self, Columns, write::Format};
    let e = crate::crm::records::entity_by_table(entity).ok_or_else(|| {
        anyhow!("unknown entity {entity}: expected companies, contacts, leads or deals")
    })?;
    let format = Format::parse(format)
        .ok_or_else(|| anyhow!("unknown format {format}: expected csv or xlsx"))?;
    let db = open(config, false)?;
    let export = db
        .read_blocking(move |c| {
            let lang = crate::crm::settings::language(c)?;
            let custom = crate::crm::fields::store::for_entity(c, e.table)?;
            let cols = Columns {
                entity: e,
                hidden: &[],
                custom: &custom,
                lang,
            };
            let query = crate::crm::records::store::ListQuery {
                sort: "created_at",
                ..Default::default()
            };
            exports::build(c, &cols, &query, format)
        })
        .map_err(app)?;
    std::fs::write(out, &export.bytes)
        .with_context(|| format!("cannot write {}", out.display()))?;
    db.write_blocking(Actor::cli(), |tx| {
        tx.audit(exports::audit_event(e, format, &export, None))
    })
    .map_err(app)?;
    println!("wrote {} {entity} to {}", export.rows, out.display());
    if export.truncated {
        println!("the export stops at {} rows", exports::MAX_ROWS);
    }
    Ok(())
}

fn find(db: &Db, email: &str) -> anyhow::Result<users_store::UserRow> {
    let e = email.trim().to_lowercase();
    db.read_blocking(move |c| Ok(users_store::find_by_email(c, &e)?))
        .map_err(app)?
        .ok_or_else(|| anyhow!("no user with email {email}"))
}

/// `kith audit ...`.
pub fn audit(config: &Config, cmd: AuditCommand) -> anyhow::Result<()> {
    let db = open(config, false)?;
    match cmd {
        AuditCommand::Verify => match db.read_blocking(|c| Ok(audit::verify(c)?)).map_err(app)? {
            Verdict::Intact { count, head } => {
                println!("OK: {count} entries, head {head}");
                Ok(())
            }
            Verdict::Broken { entry_id, problem } => {
                bail!("audit chain broken at entry #{entry_id}: {problem}")
            }
        },
        AuditCommand::Export { since } => {
            let since = match since {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| anyhow!("--since expects a date such as 2026-01-31"))?
                    .format("%Y-%m-%dT00:00:00.000Z")
                    .to_string(),
                None => String::new(),
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            writeln!(
                out,
                "id,at,actor_id,actor,ip,request_id,action,entity_type,entity_id,changes,prev_hash,hash"
            )?;
            let written = db
                .read_blocking(move |c| {
                    Ok(audit::store::since(c, &since, |e| {
                        let fields = [
                            e.id.to_string(),
                            e.at,
                            e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                            e.actor,
                            e.ip.unwrap_or_default(),
                            e.request_id.unwrap_or_default(),
                            e.action,
                            e.entity_type.unwrap_or_default(),
                            e.entity_id.unwrap_or_default(),
                            e.changes,
                            e.prev_hash,
                            e.hash,
                        ];
                        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                        writeln!(out, "{}", line.join(","))
                    })?)
                })
                .map_err(app)?;
            written?;
            Ok(())
        }
    }
}

/// Quotes a CSV field and neutralizes spreadsheet formulas.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `kith db ...`.
pub fn db(config: &Config, cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Migrate => {
            let db = open(config, true)?;
            let v = db
                .read_blocking(|c| Ok(db::schema_version(c)?))
                .map_err(app)?;
            println!("database {} is at schema version {v}", db.path().display());
            Ok(())
        }
        DbCommand::Check => {
            let db = open(config, false)?;
            let problems = db.check_integrity().map_err(app)?;
            let v = db
                .read_blocking(|c| Ok(db::schema_version(c)?))
                .map_err(app)?;
            if problems.is_empty() {
                println!(
                    "OK: {} passed the integrity check (schema version {v})",
                    db.path().display()
                );
                Ok(())
            } else {
                for p in &problems {
                    eprintln!("{p}");
                }
                bail!(
                    "the integrity check found {} problem(s) in {}",
                    problems.len(),
                    db.path().display()
                )
            }
        }
    }
}

/// `kith seed --demo | --scale N`.
pub fn seed(config: &Config, demo: bool, scale: Option<usize>) -> anyhow::Result<()> {
    let plan = match (demo, scale) {
        (true, _) => crate::crm::seed::Plan::demo(),
        (false, Some(n)) if n > 0 => crate::crm::seed::Plan::scale(n),
        _ => bail!("say --demo or --scale N"),
    };
    let db = open(config, true)?;
    let started = std::time::Instant::now();
    let (u, c, p) = crate::crm::seed::run(&db, plan, Actor::cli()).map_err(app)?;
    println!(
        "seeded {u} users, {c} companies and {p} contacts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralized() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("张三"), "张三");
    }

    #[test]
    fn roles_parse_from_cli_names() {
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
