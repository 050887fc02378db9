//! The mapping step (`GET /imports/{id}` while the import is new) and the check
//! (`POST /imports/{id}/preview`): the dry run, shown row by row before anything is written.

use super::pages::{Choice, authorize, blocking, choices, label, options, to_json, visible};
use super::plan::{Action, Planned, Policy};
use super::read::Table;
use super::{pages_run, store};
use crate::auth::csrf::Form;
use crate::auth::scope::Scope;
use crate::auth::{self, Level};
use crate::crm::fields::CustomField;
use crate::crm::records::Entity;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// Sample values shown per column.
const SAMPLES: usize = 3;
/// Rows looked at for samples.
const SAMPLE_ROWS: usize = 20;
/// Rows listed per section of the check; the rest are counted.
const LISTED: usize = 200;
/// New records shown as a sample.
const FIRST_NEW: usize = 10;

/// `GET /imports/{id}`: the mapping while the import is new, its progress while it runs or
/// is being undone, its result once it ended (or its undo was cut off).
pub async fn show(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (row, e) = visible(&page, &id).await?;
    match row.state.as_str() {
        "running" => pages_run::progress(&page, &row, e),
        "undoing" if pages_run::starting(&page.state.db, row.id) => {
            super::pages_undo::progress(&page, &row, e).await
        }
        "new" if pages_run::starting(&page.state.db, row.id) => pages_run::progress(&page, &row, e),
        "new" => {
            let (table, custom) = load(&page, &row, e).await?;
            let mapping: Vec<Option<String>> =
                serde_json::from_str(&row.mapping).unwrap_or_default();
            let chosen = Chosen {
                policy: options(&row).policy,
                mapping,
                remember: false,
            };
            render_mapping(&page, &row, e, &table, &custom, &chosen, None)
        }
        _ => pages_run::result(&page, &row, e).await,
    }
}

/// The import's file as a table, and the entity's custom fields.
pub(super) async fn load(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
) -> Result<(Table, Vec<CustomField>), AppError> {
    let id = row.id;
    let (file, custom) = page
        .state
        .db
        .read_heavy(move |c| {
            let custom = crate::crm::fields::store::for_entity(c, e.table)?;
            Ok((store::file(c, id)?, custom))
        })
        .await?;
    let file = file.ok_or_else(|| AppError::invalid("import", "import.error.not_runnable"))?;
    let (name, opts) = (row.file_name.clone(), options(row));
    let table = blocking(move || Ok(super::read_table(&file, &name, &opts)?.0)).await?;
    Ok((table, custom))
}

/// What the user chose on the mapping page.
struct Chosen {
    policy: Policy,
    mapping: Vec<Option<String>>,
    remember: bool,
}

/// The mapping page: per column its header, a few values and the field it goes to.
fn render_mapping(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
    table: &Table,
    custom: &[CustomField],
    chosen: &Chosen,
    error: Option<Value>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    let offered = choices(page, me, e, custom);
    let columns: Vec<Value> = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let samples: Vec<&str> = (table.rows.iter().take(SAMPLE_ROWS))
                .map(|r| r.cell(i))
                .filter(|c| !c.is_empty())
                .take(SAMPLES)
                .collect();
            let target = chosen.mapping.get(i).cloned().flatten();
            context! { header, samples, target }
        })
        .collect();
    let owner_left_out = !offered.iter().any(|c| c.key == "owner_id");
    let fresh = error.is_none();
    page.render_form(
        "imports/map.html",
        context! {
            import => row, entity => e.table, columns, choices => offered, error,
            rows => table.rows.len(), policy => chosen.policy, remember => chosen.remember,
            can_update => me.level(e.area, auth::Action::Edit) != Level::None,
            owner_left_out,
        },
        fresh,
    )
}

/// The first column mapped to a target that takes one column only (all but the tags).
fn mapped_twice(mapping: &[Option<String>]) -> Option<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for key in mapping.iter().flatten().filter(|k| *k != "tags") {
        if seen.contains(&key.as_str()) {
            return Some(key);
        }
        seen.push(key);
    }
    None
}

/// Existing records a plan would update that the user may not edit (their edit scope does
/// not reach them); counted only when that scope is not everything.
pub(super) async fn updates_out_of_reach(
    page: &Page,
    e: &'static Entity,
    plan: &[Planned],
) -> Result<usize, AppError> {
    let ids: Vec<i64> = plan
        .iter()
        .filter_map(|p| match p.action {
            Action::Update { id } => Some(id),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let scope = page.scope(e.area, auth::Action::Edit).await?;
    if scope == Scope::All {
        return Ok(0);
    }
    page.state
        .db
        .read_heavy(move |c| {
            let mut out = 0;
            for id in ids {
                let rec = crate::crm::records::store::get(c, e, id)?;
                out += usize::from(!scope.allows_record(rec.owner(), rec.id));
            }
            Ok(out)
        })
        .await
}

/// `POST /imports/{id}/preview`: keeps the mapping and the duplicate policy (and the mapping
/// for files like this one, if asked), then shows what running the import would do.
/// Nothing but the choices is written.
pub async fn preview(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    let me = page.user()?.clone();
    let (row, e) = visible(&page, &id).await?;
    if row.state != "new" || pages_run::starting(&page.state.db, row.id) {
        return Ok(crate::web::page::see_other(&format!("/imports/{}", row.id)));
    }
    let policy = input.get("policy").and_then(|p| Policy::parse(p));
    let policy = policy.unwrap_or(Policy::Skip);
    authorize(&me, e, policy)?;
    let (table, custom) = load(&page, &row, e).await?;
    let offered: Vec<Choice> = choices(&page, &me, e, &custom);
    let mapping: Vec<Option<String>> = (0..table.headers.len())
        .map(|i| {
            let key = input.get(&format!("col_{i}")).filter(|k| !k.is_empty());
            key.filter(|k| offered.iter().any(|c| c.key == **k))
                .cloned()
        })
        .collect();
    let remember = input.get("remember").is_some_and(|v| v == "1");
    let chosen = Chosen {
        policy,
        mapping,
        remember,
    };
    let problem = match mapped_twice(&chosen.mapping) {
        Some(key) => {
            Some(context! { key => "import.ui.mapped_twice", field => label(&page, &custom, key) })
        }
        None if chosen.mapping.iter().all(Option::is_none) => {
            Some(context! { key => "import.ui.nothing_mapped" })
        }
        None => None,
    };
    if problem.is_some() {
        return render_mapping(&page, &row, e, &table, &custom, &chosen, problem);
    }
    save(&page, &row, e, &table, &chosen).await?;
    let (mapping, currency) = (chosen.mapping.clone(), page.state.currency());
    let new_companies = super::pages::may_create_companies(&me);
    let (plan, table) = page
        .state
        .db
        .read_heavy(move |c| {
            let run = super::Run {
                policy,
                currency: &currency,
                new_companies,
            };
            let plan = super::dry_run(c, e, &table, &mapping, run)?;
            Ok((plan, table))
        })
        .await?;
    let blocked = updates_out_of_reach(&page, e, &plan).await?;
    let view = super::pages_view::Preview {
        table: &table,
        plan: &plan,
        mapping: &chosen.mapping,
        custom: &custom,
    };
    page.render(
        "imports/preview.html",
        context! {
            import => row, entity => e.table, blocked,
            counts => super::plan::counts(&plan),
            ..view.context(&page, LISTED, FIRST_NEW)
        },
    )
}

/// Stores the choices, and the mapping for files with these columns when asked.
async fn save(
    page: &Page,
    row: &store::ImportRow,
    e: &'static Entity,
    table: &Table,
    chosen: &Chosen,
) -> Result<(), AppError> {
    let opts = super::Options {
        policy: chosen.policy,
        ..options(row)
    };
    let (opts, map) = (to_json(&opts)?, to_json(&chosen.mapping)?);
    let key = chosen
        .remember
        .then(|| super::mapping::template_key(&table.headers));
    let (db, id, by) = (page.state.db.clone(), row.id, page.user()?.id);
    blocking(move || {
        db.bookkeeping_blocking(|c| {
            store::set_choices(c, id, &opts, &map)?;
            if let Some(key) = key {
                store::save_template(c, e.table, &key, &map, Some(by), &crate::db::now())?;
            }
            Ok(())
        })
    })
    .await
}
