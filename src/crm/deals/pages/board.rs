//! The board: one column per stage with its count, total and weighted total, cards that move
//! by drag and drop (or the stage selector on each card, without JavaScript).

use super::super::{DEALS, store};
use super::COLUMN_CARDS;
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::crm::records::pages::{Params, live_record};
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::{Page, safe_next, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Serialize;
use std::collections::BTreeMap;

/// Amounts of a column per currency, the company's first.
#[derive(Serialize)]
struct Amounts {
    currency: String,
    total: String,
    weighted: String,
}

/// Sums `totals` of one stage per currency, listing `home` first.
fn amounts(totals: &[&store::Total], probability: i64, home: &str) -> (i64, Vec<Amounts>) {
    let mut by: BTreeMap<(bool, String), i64> = BTreeMap::new();
    let mut count = 0;
    for t in totals {
        count += t.deals;
        *by.entry((t.currency != home, t.currency.clone()))
            .or_default() += t.amount;
    }
    let list = by
        .into_iter()
        .map(|((_, currency), amount)| Amounts {
            currency,
            total: Money::from_minor(amount).to_string(),
            weighted: Money::from_minor(amount).percent(probability).to_string(),
        })
        .collect();
    (count, list)
}

/// `GET /deals/board?pipeline=ID`.
pub async fn board(page: Page, q: web::Query<Params>) -> Result<HttpResponse, AppError> {
    let me = page.user()?;
    me.require_level(DEALS.area, Action::View)?;
    let scope = page.scope(DEALS.area, Action::View).await?;
    let edit = page.scope(DEALS.area, Action::Edit).await?;
    let wanted: Option<i64> = q.get("pipeline").and_then(|p| p.parse().ok());
    let home = page.state.currency();
    let board_scope = scope.clone();
    let db = page.state.db.clone();
    let (pipelines, stages, totals, cards, reasons) = page
        .state
        .db
        .read(move |c| {
            let pipelines = store::pipelines(c)?;
            let current = wanted
                .filter(|w| pipelines.iter().any(|p| p.id == *w))
                .or_else(|| pipelines.first().map(|p| p.id));
            let Some(pipeline) = current else {
                return Ok((pipelines, Vec::new(), Vec::new(), Vec::new(), Vec::new()));
            };
            let stages = store::stages(c, pipeline)?;
            let totals = crate::crm::deals::totals::for_scope(&db, c, pipeline, &board_scope)?;
            let mut cards = Vec::new();
            for s in &stages {
                cards.push(store::cards(c, s.id, &board_scope, COLUMN_CARDS)?);
            }
            Ok((pipelines, stages, totals, cards, store::lost_reasons(c)?))
        })
        .await?;
    let pipeline = stages.first().map(|s| s.pipeline_id);
    let labels = super::cards::Labels {
        move_: page.tr("deal.move"),
        move_to: page.tr("deal.move_to"),
        stalled: page.tr("deal.stalled"),
        csrf: page.csrf.clone(),
        back: format!("/deals/board?pipeline={}", pipeline.unwrap_or_default()),
    };
    let columns: Vec<minijinja::Value> = stages
        .iter()
        .zip(cards)
        .map(|(s, cards)| {
            let mine: Vec<&store::Total> = totals.iter().filter(|t| t.stage_id == s.id).collect();
            let (count, amounts) = amounts(&mine, s.probability, &home);
            // The stage selector of every card in this column: built once, not per card.
            let mut options = String::new();
            for o in &stages {
                options.push_str(&format!("<option value=\"{}\"", o.id));
                options.push_str(if o.id == s.id { " selected>" } else { ">" });
                crate::web::push_escaped(&mut options, &o.name);
                options.push_str("</option>");
            }
            let mut html = String::with_capacity(cards.len() * 1200);
            for card in &cards {
                let movable = edit.allows_record(card.owner_id, card.id);
                super::cards::card(&mut html, card, movable, &options, &labels);
            }
            let more = count > cards.len() as i64;
            let cards = minijinja::Value::from_safe_string(html);
            context! { stage => s, count, amounts, cards, more }
        })
        .collect();
    let can_create = me.level(DEALS.area, Action::Create) != crate::auth::Level::None;
    page.render(
        "deals/board.html",
        context! {
            pipelines, pipeline, stages, columns, reasons, home, can_create,
            can_admin => me.can(crate::auth::Permission::ManageSettings),
            notice => page.notice(),
        },
    )
}

/// The stage move form (board card selector, drag and drop, deal page).
#[derive(serde::Deserialize, Serialize, Default)]
pub struct MoveInput {
    #[serde(default)]
    stage_id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    lost_reason: String,
    #[serde(default)]
    next: String,
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `POST /deals/{id}/stage`: moves a deal to another stage of its pipeline. Scripts get JSON
/// (the new version, or the problem); forms are sent back to where they came from, or, when
/// something is missing (a lost reason), get a small page to complete the move.
pub async fn move_deal(
    req: HttpRequest,
    page: Page,
    id: web::Path<String>,
    Form(input): Form<MoveInput>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let rec = live_record(&page, &DEALS, id, Action::Edit).await?;
    // A role that may not change the stage cannot move the card either.
    if page.user()?.access.rule(DEALS.area, "stage_id").is_some() {
        return Err(AppError::Forbidden);
    }
    let stage: i64 = input.stage_id.trim().parse().unwrap_or(0);
    let version: i64 = input.version.trim().parse().unwrap_or(rec.version);
    let reason = input.lost_reason.clone();
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            super::super::move_stage(tx, id, version, stage, Some(&reason))
        })
        .await;
    let json = wants_json(&req);
    match result {
        Ok(()) if json => {
            let version = rec.version + 1;
            Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true, "version": version })))
        }
        Ok(()) => {
            let next = safe_next(Some(&input.next));
            let next = if next == "/" {
                format!("/deals/{id}")
            } else {
                next
            };
            let sep = if next.contains('?') { '&' } else { '?' };
            Ok(see_other(&format!("{next}{sep}notice=deal_moved")))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict(_))) => {
            let (status, problem) = match &e {
                AppError::Validation { fields, .. } => (
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    fields.values().next().cloned().unwrap_or_default(),
                ),
                _ => (
                    actix_web::http::StatusCode::CONFLICT,
                    "record.error.changed".to_string(),
                ),
            };
            if json {
                return Ok(HttpResponse::build(status)
                    .json(serde_json::json!({ "ok": false, "error": page.tr(&problem), "field": problem })));
            }
            let pipeline = rec
                .values
                .get("pipeline_id")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            let (stages, reasons) = page
                .state
                .db
                .read(move |c| Ok((store::stages(c, pipeline)?, store::lost_reasons(c)?)))
                .await?;
            let mut res = page.render(
                "deals/move.html",
                context! {
                    record => minijinja::Value::from_serialize(&rec), name => rec.values.get("name"),
                    stages, reasons, input, problem, version => rec.version,
                },
            )?;
            *res.status_mut() = status;
            Ok(res)
        }
        Err(other) => Err(other),
    }
}
