//! What the 360° pages show of deals: on a deal, its stage path, the move form and the stage
//! history; on a company or contact, its deals.

use super::super::{DEALS, store};
use crate::auth::{Action, Level};
use crate::crm::records::Entity;
use crate::crm::records::store::Record;
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::Page;
use minijinja::{Value, context};

/// The deal's stage path, history, stalled marker and move form (for those who may edit it).
pub async fn deal_panel(page: &Page, rec: &Record, can_edit: bool) -> Result<Value, AppError> {
    let id = rec.id;
    let pipeline = rec
        .values
        .get("pipeline_id")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let (stages, history, state, reasons, (pipeline_name, quotes)) = page
        .state
        .db
        .read(move |c| {
            Ok((
                store::stages(c, pipeline)?,
                store::history(c, id)?,
                store::state(c, id)?,
                store::lost_reasons(c)?,
                (
                    store::pipeline(c, pipeline)?.map(|p| p.name),
                    crate::crm::quotes::store::for_deal(c, id)?,
                ),
            ))
        })
        .await?;
    let current = rec
        .values
        .get("stage_id")
        .and_then(serde_json::Value::as_i64);
    let at = stages.iter().position(|s| Some(s.id) == current);
    let path: Vec<Value> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let done = at.is_some_and(|a| i < a && s.outcome == "open");
            context! { current => Some(s.id) == current, done, ..Value::from_serialize(s) }
        })
        .collect();
    let probability = at.map_or(0, |a| stages[a].probability);
    let amount = rec.values.get("amount").and_then(serde_json::Value::as_i64);
    let weighted = amount.map(|a| Money::from_minor(a).percent(probability).to_string());
    let can_move = can_edit && page.user()?.access.rule(DEALS.area, "stage_id").is_none();
    let me = page.user()?;
    let quotes_shown = me.level(crate::auth::Area::Quotes, Action::View) != Level::None;
    let can_quote = me.level(crate::auth::Area::Quotes, Action::Create) != Level::None;
    Ok(context! {
        quotes => if quotes_shown { quotes } else { Vec::new() }, quotes_shown, can_quote,
        path, history, state, reasons, pipeline_name, probability, weighted, can_move,
        version => rec.version,
    })
}

/// The deals of a company or contact the user may see (empty for other records).
pub async fn customer_deals(page: &Page, e: &Entity, id: i64) -> Result<Option<Value>, AppError> {
    let me = page.user()?;
    if e.code > 1 || me.level(DEALS.area, Action::View) == Level::None {
        return Ok(None);
    }
    let scope = page.scope(DEALS.area, Action::View).await?;
    let code = e.code;
    let deals = page
        .state
        .db
        .read(move |c| Ok(store::for_customer(c, code, id, &scope)?))
        .await?;
    let hide_amount = crate::crm::records::rules::hidden(&me.access.rules(DEALS.area))
        .iter()
        .any(|h| h == "amount");
    let rows: Vec<Value> = deals
        .iter()
        .map(|d| {
            let amount = (!hide_amount).then(|| Money::from_minor(d.amount).to_string());
            context! { amount, ..Value::from_serialize(d) }
        })
        .collect();
    let can_create = me.level(DEALS.area, Action::Create) != Level::None;
    Ok(Some(context! { rows, can_create }))
}
