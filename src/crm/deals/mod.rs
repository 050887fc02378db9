//! Deals (商机): what a customer may buy, moving through the stages of a pipeline. Deals are
//! records like companies and contacts (list, form, trash, sharing, custom fields and field
//! rules come from the records engine); this folder adds pipelines, stage moves with their
//! history, the board and the forecast.

pub mod pages;
pub mod pipelines;
pub mod store;
pub mod totals;

use crate::crm::records::{self, Entity, Kind, SOURCES, Values, field as f};
use crate::db::Tx;
use crate::error::AppError;
use serde_json::Value;

/// The deal record.
pub static DEALS: Entity = Entity {
    table: "deals",
    kind: "deal",
    area: crate::auth::Area::Deals,
    fields: &[
        f("name", Kind::Text(200), true, true),
        f("company_id", Kind::Company, true, true),
        f("contact_id", Kind::Contact, false, false),
        f("stage_id", Kind::Stage, true, true),
        f("amount", Kind::Money, true, true),
        f(
            "currency",
            Kind::Select(crate::crm::settings::CURRENCIES),
            true,
            false,
        ),
        f("expected_close", Kind::Date, false, true),
        f("lost_reason", Kind::Text(100), false, false),
        f("source", Kind::Select(SOURCES), false, false),
        f("owner_id", Kind::User, false, true),
        f("notes", Kind::LongText, false, false),
    ],
    sorts: &["updated_at", "created_at", "name", "amount"],
    code: 2,
    on_save: Some(saved),
};

/// Keeps the stage history: a deal that reaches a stage (on creation or by a move) gets a
/// history row, counts as followed up at that moment, and is closed at a won or lost stage.
fn saved(
    tx: &mut Tx<'_>,
    id: i64,
    before: Option<&Values>,
    after: &Values,
) -> Result<(), AppError> {
    let stage_of = |v: Option<&Values>| v.and_then(|v| v.get("stage_id")).and_then(Value::as_i64);
    let (old, new) = (stage_of(before), stage_of(Some(after)));
    if let (Some(stage), true) = (new, old != new) {
        store::enter_stage(tx.conn(), id, stage, tx.actor().user_id)?;
    }
    Ok(())
}

/// Every stage of every pipeline, in board order, remembered between changes (see
/// `db::memo`).
pub async fn all_stages(db: &crate::db::Db) -> Result<std::sync::Arc<Vec<store::Stage>>, AppError> {
    db.memo(("stages", ""), store::all_stages).await
}

/// Moves a deal to another stage (the board's drag and drop, or its stage selector): the same
/// audited update as the edit form, so the version check, field rules and history apply.
pub fn move_stage(
    tx: &mut Tx<'_>,
    id: i64,
    version: i64,
    stage: i64,
    lost_reason: Option<&str>,
) -> Result<(), AppError> {
    let rec = records::store::get(tx.conn(), &DEALS, id)?;
    let target = store::stage(tx.conn(), stage)?
        .ok_or_else(|| AppError::invalid("stage_id", "record.error.choice"))?;
    if Some(target.pipeline_id) != rec.values.get("pipeline_id").and_then(Value::as_i64) {
        return Err(AppError::invalid("stage_id", "deal.error.other_pipeline"));
    }
    let mut values = rec.values.clone();
    values.insert("stage_id".into(), Value::from(stage));
    let reason = lost_reason.map(str::trim).filter(|r| !r.is_empty());
    match (target.outcome.as_str(), reason) {
        ("lost", None) => return Err(AppError::invalid("lost_reason", "deal.error.lost_reason")),
        ("lost", Some(r)) if r.chars().count() > 100 => {
            return Err(AppError::invalid("lost_reason", "record.error.too_long"));
        }
        ("lost", Some(r)) => values.insert("lost_reason".into(), Value::from(r)),
        _ => values.insert("lost_reason".into(), Value::Null),
    };
    records::update(tx, &DEALS, id, version, &values)
}

/// Seeds the first pipeline and the lost reasons of a new install in its language, once;
/// the caller's audit entry says so (setup, demo data).
pub fn seed_defaults(conn: &rusqlite::Connection, lang: &str) -> Result<bool, AppError> {
    if !store::pipelines(conn)?.is_empty() {
        return Ok(false);
    }
    let zh = lang.starts_with("zh");
    let pick = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
    let stages = vec![
        pipelines::StageInput::new(pick("初步接洽", "Qualification"), 10, "open", Some(14)),
        pipelines::StageInput::new(pick("需求确认", "Needs analysis"), 30, "open", Some(14)),
        pipelines::StageInput::new(pick("方案报价", "Proposal"), 50, "open", Some(10)),
        pipelines::StageInput::new(pick("商务谈判", "Negotiation"), 80, "open", Some(7)),
        pipelines::StageInput::new(pick("赢单", "Won"), 100, "won", None),
        pipelines::StageInput::new(pick("输单", "Lost"), 0, "lost", None),
    ];
    let plan = pipelines::Plan {
        name: pick("销售流程", "Sales pipeline"),
        stages,
        lost_reasons: Vec::new(),
    };
    pipelines::insert(conn, &plan)?;
    let reasons: &[(&str, &str)] = &[
        ("价格", "Price"),
        ("竞争对手", "Competitor"),
        ("预算取消", "No budget"),
        ("需求变化", "Needs changed"),
        ("失去联系", "No response"),
    ];
    let names: Vec<String> = reasons.iter().map(|(z, e)| pick(z, e)).collect();
    store::put_lost_reasons(conn, &names)?;
    Ok(true)
}
