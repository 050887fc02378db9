//! Editing pipelines: their stages (order, win probability, won/lost, stall days) and the
//! lost reasons. Administrators do this; each change is audited with before and after.

use super::store::{self, Stage};
use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use std::collections::{BTreeMap, HashMap};

/// Outcomes a stage can have.
pub const OUTCOMES: &[&str] = &["open", "won", "lost"];

/// One stage row of the editor.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StageInput {
    /// The stage's id, 0 for a new one.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Win probability, percent.
    pub probability: i64,
    /// `open`, `won` or `lost`.
    pub outcome: String,
    /// Days without a follow-up before a deal here is stalled.
    pub stall_days: Option<i64>,
    /// Remove it.
    pub remove: bool,
}

impl StageInput {
    /// A new stage.
    pub fn new(name: String, probability: i64, outcome: &str, stall_days: Option<i64>) -> Self {
        StageInput {
            id: 0,
            name,
            probability,
            outcome: outcome.into(),
            stall_days,
            remove: false,
        }
    }
}

/// A pipeline as the editor submits it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Plan {
    /// Name.
    pub name: String,
    /// Stages in board order.
    pub stages: Vec<StageInput>,
    /// Unused here; lost reasons are saved on their own.
    pub lost_reasons: Vec<String>,
}

/// Field name to the i18n key of its problem.
pub type Errors = BTreeMap<String, String>;

/// Reads the editor's form: `name`, then rows `stage{N}_id|name|probability|outcome|stall|remove`.
/// Empty new rows are ignored. Returns the plan with the problems found (empty when valid).
pub fn parse(form: &HashMap<String, String>) -> (Plan, Errors) {
    let get = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Errors::new();
    let name = get("name");
    if name.is_empty() {
        errors.insert("name".into(), "record.error.required".into());
    } else if name.chars().count() > 60 {
        errors.insert("name".into(), "record.error.too_long".into());
    }
    let mut stages = Vec::new();
    let mut order: Vec<(f64, usize)> = Vec::new();
    for i in 0..50 {
        let key = |f: &str| format!("stage{i}_{f}");
        if !form.contains_key(&key("name")) {
            continue;
        }
        let id: i64 = get(&key("id")).parse().unwrap_or(0);
        let stage_name = get(&key("name"));
        if id == 0 && stage_name.is_empty() {
            continue;
        }
        // Errors name the row the stage comes back in: its place among the kept rows.
        let row = |f: &str| format!("stage{}_{f}", stages.len());
        let mut s = StageInput {
            id,
            name: stage_name,
            remove: !get(&key("remove")).is_empty(),
            outcome: get(&key("outcome")),
            ..Default::default()
        };
        // The order column moves a stage; rows without one keep their place.
        let at = get(&key("order"))
            .parse::<f64>()
            .ok()
            .filter(|o| o.is_finite())
            .unwrap_or(i as f64 + 1.0);
        order.push((at, stages.len()));
        if s.remove {
            stages.push(s);
            continue;
        }
        if s.name.is_empty() {
            errors.insert(row("name"), "record.error.required".into());
        } else if s.name.chars().count() > 40 {
            errors.insert(row("name"), "record.error.too_long".into());
        }
        match get(&key("probability")).parse::<i64>() {
            Ok(p) if (0..=100).contains(&p) => s.probability = p,
            _ => {
                errors.insert(row("probability"), "pipeline.error.probability".into());
            }
        }
        if !OUTCOMES.contains(&s.outcome.as_str()) {
            errors.insert(row("outcome"), "record.error.choice".into());
        }
        let stall = get(&key("stall"));
        if !stall.is_empty() {
            match stall.parse::<i64>() {
                Ok(d) if (1..=365).contains(&d) => s.stall_days = Some(d),
                _ => {
                    errors.insert(row("stall"), "pipeline.error.stall".into());
                }
            }
        }
        stages.push(s);
    }
    let mut seen = std::collections::HashSet::new();
    for (i, s) in stages.iter().enumerate() {
        if !s.remove && !s.name.is_empty() && !seen.insert(s.name.clone()) {
            errors.insert(format!("stage{i}_name"), "pipeline.error.same_name".into());
        }
    }
    if !stages.iter().any(|s| !s.remove && s.outcome == "open") {
        errors.insert("stages".into(), "pipeline.error.no_open".into());
    }
    // A form with mistakes comes back in the order it was typed, so each error stays on its
    // row; a valid one is put in the order asked for.
    if errors.is_empty() {
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        stages = order.iter().map(|(_, i)| stages[*i].clone()).collect();
    }
    (
        Plan {
            name,
            stages,
            lost_reasons: Vec::new(),
        },
        errors,
    )
}

fn summary(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| format!("{} ({}%, {})", s.name, s.probability, s.outcome))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn write_stages(conn: &rusqlite::Connection, pipeline: i64, plan: &Plan) -> Result<(), AppError> {
    let existing: Vec<i64> = store::stages(conn, pipeline)?
        .iter()
        .map(|s| s.id)
        .collect();
    store::park_stage_names(conn, pipeline)?;
    let mut position = 0;
    for (i, s) in plan.stages.iter().enumerate() {
        if s.id > 0 && !existing.contains(&s.id) {
            return Err(AppError::Conflict("pipeline.error.changed".into()));
        }
        if s.remove {
            if s.id > 0 && store::deals_at(conn, s.id)? > 0 {
                return Err(AppError::invalid(
                    &format!("stage{i}_name"),
                    "pipeline.error.stage_in_use",
                ));
            }
            if s.id > 0 {
                store::delete_stage(conn, s.id)?;
            }
            continue;
        }
        let stage = Stage {
            id: s.id,
            pipeline_id: pipeline,
            name: s.name.clone(),
            position,
            probability: s.probability,
            outcome: s.outcome.clone(),
            stall_days: s.stall_days,
        };
        store::put_stage(conn, pipeline, &stage)?;
        position += 1;
    }
    Ok(())
}

fn name_taken(e: rusqlite::Error) -> AppError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            AppError::invalid("name", "pipeline.error.name_taken")
        }
        other => other.into(),
    }
}

/// Writes a new pipeline with its stages, for [`create`] and for the defaults of a new
/// install (audited by the caller); returns its id.
pub fn insert(conn: &rusqlite::Connection, plan: &Plan) -> Result<i64, AppError> {
    let id = store::insert_pipeline(conn, &plan.name).map_err(name_taken)?;
    write_stages(conn, id, plan)?;
    Ok(id)
}

/// Creates a pipeline with its stages; returns its id.
pub fn create(tx: &mut Tx<'_>, plan: &Plan) -> Result<i64, AppError> {
    let id = insert(tx.conn(), plan)?;
    let after = summary(&store::stages(tx.conn(), id)?);
    tx.audit(
        Event::new("pipeline.create")
            .entity("pipeline", id)
            .change("name", None::<String>, plan.name.as_str())
            .change("stages", None::<String>, after),
    )?;
    Ok(id)
}

/// Saves an edit made on `version` of the pipeline.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, plan: &Plan) -> Result<(), AppError> {
    let old = store::pipeline(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    let before = summary(&store::stages(tx.conn(), id)?);
    if store::rename_pipeline(tx.conn(), id, version, &plan.name).map_err(name_taken)? == 0 {
        return Err(AppError::Conflict("pipeline.error.changed".into()));
    }
    write_stages(tx.conn(), id, plan)?;
    let after = summary(&store::stages(tx.conn(), id)?);
    tx.audit(
        Event::new("pipeline.update")
            .entity("pipeline", id)
            .change("name", old.name, plan.name.as_str())
            .change("stages", before, after),
    )?;
    Ok(())
}

/// Replaces the lost reasons (one per line, blanks and repeats dropped).
pub fn set_lost_reasons(tx: &mut Tx<'_>, names: &[String]) -> Result<(), AppError> {
    let mut clean: Vec<String> = Vec::new();
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if n.chars().count() > 100 {
            return Err(AppError::invalid("lost_reasons", "record.error.too_long"));
        }
        if !clean.iter().any(|c| c == n) {
            clean.push(n.to_string());
        }
    }
    let before = store::lost_reasons(tx.conn())?.join(", ");
    store::put_lost_reasons(tx.conn(), &clean)?;
    tx.audit(Event::new("lost_reasons.update").change("lost_reasons", before, clean.join(", ")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_editor_checks_each_stage_and_skips_blank_rows() {
        let (plan, errors) = parse(&form(&[
            ("name", "渠道"),
            ("stage0_name", "接洽"),
            ("stage0_probability", "10"),
            ("stage0_outcome", "open"),
            ("stage0_stall", "7"),
            ("stage1_name", "赢单"),
            ("stage1_probability", "100"),
            ("stage1_outcome", "won"),
            ("stage2_name", ""),
            ("stage2_probability", ""),
        ]));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(plan.stages.len(), 2);
        assert_eq!(plan.stages[0].stall_days, Some(7));

        let (_, errors) = parse(&form(&[
            ("name", ""),
            ("stage0_name", "A"),
            ("stage0_probability", "120"),
            ("stage0_outcome", "won"),
            ("stage0_stall", "0"),
            ("stage1_name", "A"),
            ("stage1_probability", "5"),
            ("stage1_outcome", "maybe"),
        ]));
        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "name",
                "stage0_probability",
                "stage0_stall",
                "stage1_name",
                "stage1_outcome",
                "stages"
            ]
        );
    }
}
