//! `kith import FILE --into ENTITY`: the same reading, mapping, dry run and batches as the
//! web import, with progress on standard error.

use super::admin::{app, open};
use crate::config::Config;
use crate::crm::imports::{self, Options, plan::Policy, store};
use crate::db::Actor;
use anyhow::{Context, anyhow};

/// The command's arguments.
pub struct Args {
    /// The file.
    pub file: std::path::PathBuf,
    /// The entity.
    pub into: String,
    /// Only report.
    pub dry_run: bool,
    /// skip, update or create.
    pub on_duplicate: String,
    /// Forced encoding.
    pub encoding: Option<String>,
    /// Workbook sheet.
    pub sheet: Option<String>,
    /// Acting user (email).
    pub as_user: Option<String>,
}

/// Runs the import (or its dry run) and prints what happened.
pub fn run(config: &Config, a: Args) -> anyhow::Result<()> {
    let e = imports::entity(&a.into).ok_or_else(|| {
        anyhow!(
            "cannot import into {}: expected companies, contacts, leads, deals or products",
            a.into
        )
    })?;
    let policy = Policy::parse(&a.on_duplicate)
        .ok_or_else(|| anyhow!("--on-duplicate must be skip, update or create"))?;
    let bytes =
        std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let limit = config.api.import_max_megabytes * 1024 * 1024;
    if bytes.len() as u64 > limit {
        return Err(anyhow!(
            "the file is larger than {} MB",
            config.api.import_max_megabytes
        ));
    }
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = Options {
        encoding: a.encoding,
        sheet: a.sheet,
        policy,
    };
    let (table, info) = imports::read_table(&bytes, &name, &options).map_err(|e| match e {
        crate::error::AppError::Validation { message, .. } if !message.is_empty() => {
            anyhow!(message)
        }
        other => app(other),
    })?;
    let db = open(config, false)?;
    let (actor, new_companies) = match &a.as_user {
        Some(email) => {
            let email = email.trim().to_lowercase();
            let u = db
                .read_blocking(move |c| Ok(crate::crm::users::store::find_by_email(c, &email)?))
                .map_err(app)?
                .filter(|u| u.disabled_at.is_none())
                .ok_or_else(|| {
                    anyhow!("no active user {}", a.as_user.clone().unwrap_or_default())
                })?;
            // Rows create the companies they name only if this user may create companies.
            let role = u.role.clone();
            let access = db
                .read_blocking(move |c| crate::crm::roles::access_of(c, &role))
                .map_err(app)?
                .unwrap_or_default();
            let area = crate::auth::Area::Companies;
            let level = access.level(area, crate::auth::Action::Create);
            let actor = Actor {
                user_id: Some(u.id),
                label: u.email,
                ..Actor::cli()
            };
            (actor, level != crate::auth::Level::None)
        }
        None => (Actor::cli(), true),
    };
    let (headers, t2) = (table.headers.clone(), table.clone());
    let (mapping, currency) = db
        .read_blocking(move |c| {
            let custom = crate::crm::fields::store::for_entity(c, e.table)?;
            let currency =
                crate::crm::settings::store::get(c)?.map_or_else(|| "CNY".into(), |p| p.currency);
            Ok((imports::propose(c, e, &headers, &custom)?, currency))
        })
        .map_err(app)?;
    eprintln!(
        "{}: {} rows, {}{}",
        name,
        table.rows.len(),
        info.format,
        info.encoding
            .map(|e| format!(", {}", e.as_str()))
            .unwrap_or_default()
    );
    for (h, m) in table.headers.iter().zip(&mapping) {
        eprintln!("  {h} -> {}", m.as_deref().unwrap_or("(not imported)"));
    }
    if a.dry_run {
        let m = mapping.clone();
        let cur = currency.clone();
        let plan = db
            .read_blocking(move |c| {
                let run = imports::Run {
                    policy,
                    currency: &cur,
                    new_companies,
                };
                Ok(imports::dry_run(c, e, &t2, &m, run)?)
            })
            .map_err(app)?;
        let c = imports::plan::counts(&plan);
        for p in plan.iter().filter(|p| !p.errors.is_empty()) {
            let reasons: Vec<String> = p
                .errors
                .iter()
                .map(|(f, k)| format!("{f}: {}", crate::web::i18n::Lang::En.tr(k)))
                .collect();
            println!("line {}: {}", p.line, reasons.join("; "));
        }
        println!(
            "dry run: {} to create, {} to update, {} duplicates to skip, {} rejected; nothing was written",
            c.created, c.updated, c.skipped, c.rejected
        );
        return Ok(());
    }
    let (opts, map) = (
        serde_json::to_string(&options).map_err(anyhow::Error::from)?,
        serde_json::to_string(&mapping).map_err(anyhow::Error::from)?,
    );
    let by = actor.user_id;
    let id = db
        .bookkeeping_blocking(|c| {
            let id = store::insert(c, e.table, &name, &bytes, &opts, by, &crate::db::now())?;
            store::set_choices(c, id, &opts, &map)?;
            Ok(id)
        })
        .map_err(app)?;
    let progress = |done: usize, total: usize| eprintln!("  {done} / {total} rows");
    let c = imports::execute(&db, &actor, id, &currency, new_companies, &progress).map_err(app)?;
    println!(
        "import {id}: {} created, {} updated, {} duplicates skipped, {} rejected",
        c.created, c.updated, c.skipped, c.rejected
    );
    Ok(())
}
