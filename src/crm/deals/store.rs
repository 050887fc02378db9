//! SQL for pipelines, stages, stage history, the board and the forecast.

use crate::auth::scope::Scope;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;

/// A pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Version, for concurrent edits.
    pub version: i64,
}

/// A stage of a pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// Id.
    pub id: i64,
    /// Its pipeline.
    pub pipeline_id: i64,
    /// Name.
    pub name: String,
    /// Board order.
    pub position: i64,
    /// Win probability, percent.
    pub probability: i64,
    /// `open`, `won` or `lost`.
    pub outcome: String,
    /// Days without a follow-up before a deal here is stalled.
    pub stall_days: Option<i64>,
}

fn stage_row(r: &Row<'_>) -> rusqlite::Result<Stage> {
    Ok(Stage {
        id: r.get(0)?,
        pipeline_id: r.get(1)?,
        name: r.get(2)?,
        position: r.get(3)?,
        probability: r.get(4)?,
        outcome: r.get(5)?,
        stall_days: r.get(6)?,
    })
}

const STAGE: &str =
    "SELECT id, pipeline_id, name, position, probability, outcome, stall_days FROM stages";

/// All pipelines, in order.
pub fn pipelines(conn: &Connection) -> rusqlite::Result<Vec<Pipeline>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, version FROM pipelines ORDER BY position, id")?;
    stmt.query_map([], |r| {
        Ok(Pipeline {
            id: r.get(0)?,
            name: r.get(1)?,
            version: r.get(2)?,
        })
    })?
    .collect()
}

/// One stage.
pub fn stage(conn: &Connection, id: i64) -> rusqlite::Result<Option<Stage>> {
    conn.prepare_cached(&format!("{STAGE} WHERE id = ?1"))?
        .query_row([id], stage_row)
        .optional()
}

/// The stages of a pipeline, in board order.
pub fn stages(conn: &Connection, pipeline: i64) -> rusqlite::Result<Vec<Stage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{STAGE} WHERE pipeline_id = ?1 ORDER BY position, id"
    ))?;
    stmt.query_map([pipeline], stage_row)?.collect()
}

/// Every stage, by pipeline and board order.
pub fn all_stages(conn: &Connection) -> rusqlite::Result<Vec<Stage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{STAGE} WHERE pipeline_id IN (SELECT id FROM pipelines) ORDER BY (SELECT position FROM pipelines p WHERE p.id = pipeline_id), pipeline_id, position, id"
    ))?;
    stmt.query_map([], stage_row)?.collect()
}

/// How a stage id reads in the audit log: `pipeline / stage`.
pub fn stage_label(conn: &Connection, id: &Value) -> rusqlite::Result<Value> {
    let Some(id) = id.as_i64() else {
        return Ok(Value::Null);
    };
    let name: Option<String> = conn
        .query_row(
            "SELECT p.name || ' / ' || s.name FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE s.id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(name.map_or(Value::from(id), Value::from))
}

/// Notes that a deal was just followed up: it is not stalled (any more).
pub fn followed_up(conn: &Connection, deal: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE deals SET last_activity_at = ?2, stalled_at = NULL WHERE id = ?1",
        params![deal, crate::db::now()],
    )
}

/// Records that a deal reached `stage` now: closes the open history row, opens one for the
/// stage, and sets when it entered, whether it is closed, and that it is not stalled.
pub fn enter_stage(
    conn: &Connection,
    deal: i64,
    stage: i64,
    by: Option<i64>,
) -> rusqlite::Result<()> {
    let now = crate::db::now();
    conn.execute(
        "UPDATE deal_stages SET left_at = ?2 WHERE deal_id = ?1 AND left_at IS NULL",
        params![deal, now],
    )?;
    conn.execute(
        "INSERT INTO deal_stages (deal_id, stage_id, entered_at, by_user) VALUES (?1, ?2, ?3, ?4)",
        params![deal, stage, now, by],
    )?;
    conn.execute(
        "UPDATE deals SET stage_entered_at = ?3, stalled_at = NULL, last_activity_at = ?3,
                closed_at = CASE WHEN (SELECT outcome FROM stages WHERE id = ?2) = 'open' THEN NULL
                                 ELSE ?3 END
         WHERE id = ?1",
        params![deal, stage, now],
    )?;
    Ok(())
}

/// A deal's time at one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageVisit {
    /// The stage's name.
    pub stage: String,
    /// Its outcome.
    pub outcome: String,
    /// Entered (UTC).
    pub entered_at: String,
    /// Left (UTC), if it moved on.
    pub left_at: Option<String>,
    /// Who moved it there.
    pub by: Option<String>,
}

/// The stages a deal went through, latest first.
pub fn history(conn: &Connection, deal: i64) -> rusqlite::Result<Vec<StageVisit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.name, s.outcome, h.entered_at, h.left_at, (SELECT name FROM users WHERE id = h.by_user)
         FROM deal_stages h JOIN stages s ON s.id = h.stage_id
         WHERE h.deal_id = ?1 ORDER BY h.entered_at DESC, h.id DESC LIMIT 100",
    )?;
    stmt.query_map([deal], |r| {
        Ok(StageVisit {
            stage: r.get(0)?,
            outcome: r.get(1)?,
            entered_at: r.get(2)?,
            left_at: r.get(3)?,
            by: r.get(4)?,
        })
    })?
    .collect()
}

/// Extra facts of a deal the record does not carry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DealState {
    /// When it reached its stage.
    pub stage_entered_at: Option<String>,
    /// When it was found stalled, if it is.
    pub stalled_at: Option<String>,
    /// When it was won or lost.
    pub closed_at: Option<String>,
}

/// A deal's stage timing and stalled marker.
pub fn state(conn: &Connection, deal: i64) -> rusqlite::Result<DealState> {
    conn.query_row(
        "SELECT stage_entered_at, stalled_at, closed_at FROM deals WHERE id = ?1",
        [deal],
        |r| {
            Ok(DealState {
                stage_entered_at: r.get(0)?,
                stalled_at: r.get(1)?,
                closed_at: r.get(2)?,
            })
        },
    )
}

/// Names of the lost reasons, in order.
pub fn lost_reasons(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM lost_reasons ORDER BY position, id")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Replaces the lost reasons.
pub fn put_lost_reasons(conn: &Connection, names: &[String]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM lost_reasons", [])?;
    for (i, n) in names.iter().enumerate() {
        conn.execute(
            "INSERT INTO lost_reasons (name, position) VALUES (?1, ?2)",
            params![n, i as i64],
        )?;
    }
    Ok(())
}

/// Adds a pipeline; returns its id.
pub fn insert_pipeline(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    let now = crate::db::now();
    conn.execute(
        "INSERT INTO pipelines (name, position, created_at, updated_at)
         VALUES (?1, (SELECT ifnull(max(position), -1) + 1 FROM pipelines), ?2, ?2)",
        params![name, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Renames a pipeline if its version still matches; returns rows changed.
pub fn rename_pipeline(
    conn: &Connection,
    id: i64,
    version: i64,
    name: &str,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE pipelines SET name = ?3, updated_at = ?4, version = version + 1 WHERE id = ?1 AND version = ?2",
        params![id, version, name, crate::db::now()],
    )
}

/// One pipeline.
pub fn pipeline(conn: &Connection, id: i64) -> rusqlite::Result<Option<Pipeline>> {
    conn.query_row(
        "SELECT id, name, version FROM pipelines WHERE id = ?1",
        [id],
        |r| {
            Ok(Pipeline {
                id: r.get(0)?,
                name: r.get(1)?,
                version: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Writes a stage: updates it when `id` is given, adds it otherwise; returns its id.
pub fn put_stage(conn: &Connection, pipeline: i64, s: &Stage) -> rusqlite::Result<i64> {
    if s.id > 0 {
        conn.execute(
            "UPDATE stages SET name = ?3, position = ?4, probability = ?5, outcome = ?6, stall_days = ?7
             WHERE id = ?1 AND pipeline_id = ?2",
            params![s.id, pipeline, s.name, s.position, s.probability, s.outcome, s.stall_days],
        )?;
        return Ok(s.id);
    }
    conn.execute(
        "INSERT INTO stages (pipeline_id, name, position, probability, outcome, stall_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            pipeline,
            s.name,
            s.position,
            s.probability,
            s.outcome,
            s.stall_days
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Live and deleted deals at a stage (a stage with deals cannot be removed).
pub fn deals_at(conn: &Connection, stage: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM deals WHERE stage_id = ?1",
        [stage],
        |r| r.get(0),
    )
}

/// Removes a stage without deals.
pub fn delete_stage(conn: &Connection, stage: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM stages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM deals WHERE stage_id = ?1)",
        [stage],
    )?;
    conn.execute("DELETE FROM stage_totals WHERE stage_id = ?1", [stage])
}

/// Names stages temporarily so that reordering and renaming never trips the unique name.
pub fn park_stage_names(conn: &Connection, pipeline: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE stages SET name = '\u{1}' || id WHERE pipeline_id = ?1",
        [pipeline],
    )
}

/// Count and amount of a board column in one currency.
#[derive(Debug, Clone, Serialize)]
pub struct Total {
    /// Stage.
    pub stage_id: i64,
    /// Currency.
    pub currency: String,
    /// Deals.
    pub deals: i64,
    /// Sum of amounts, minor units.
    pub amount: i64,
}

/// Every owner's running totals of a pipeline, per stage and currency: owner 0 holds the
/// deals nobody owns and owner -1 everyone's (see `super::totals`).
pub fn owner_totals(conn: &Connection, pipeline: i64) -> rusqlite::Result<Vec<(i64, Total)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.owner_id, t.stage_id, t.currency, t.deals, t.amount FROM stage_totals t
          WHERE t.stage_id IN (SELECT id FROM stages WHERE pipeline_id = ?1) AND t.deals <> 0",
    )?;
    stmt.query_map([pipeline], |r| {
        Ok((
            r.get(0)?,
            Total {
                stage_id: r.get(1)?,
                currency: r.get(2)?,
                deals: r.get(3)?,
                amount: r.get(4)?,
            },
        ))
    })?
    .collect()
}

/// Per stage and currency, the deals of a pipeline shared with a viewer whose owners are
/// not among `scope`'s (which already counts those).
pub fn shared_totals(
    conn: &Connection,
    pipeline: i64,
    scope: &Scope,
) -> rusqlite::Result<Vec<Total>> {
    let (owners, shared) = scope_params(scope);
    let mut stmt = conn.prepare_cached(
        "SELECT d.stage_id, d.currency, count(*), sum(d.amount) FROM deals d
          WHERE d.id IN (SELECT value FROM json_each(?2))
            AND d.deleted_at IS NULL AND d.pipeline_id = ?1
            AND ifnull(d.owner_id, 0) NOT IN (SELECT value FROM json_each(ifnull(?3, '[]')))
          GROUP BY d.stage_id, d.currency",
    )?;
    stmt.query_map(params![pipeline, shared, owners], |r| {
        Ok(Total {
            stage_id: r.get(0)?,
            currency: r.get(1)?,
            deals: r.get(2)?,
            amount: r.get(3)?,
        })
    })?
    .collect()
}

/// A card on the board.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Company's name.
    pub company: Option<String>,
    /// Amount, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Expected close date.
    pub expected_close: Option<String>,
    /// Owner.
    pub owner_id: Option<i64>,
    /// Owner's name.
    pub owner: Option<String>,
    /// Version, for the move.
    pub version: i64,
    /// Stalled since.
    pub stalled_at: Option<String>,
    /// Stage's name (on customer pages; the board shows it as the column).
    pub stage: Option<String>,
}

fn card(r: &Row<'_>) -> rusqlite::Result<Card> {
    Ok(Card {
        id: r.get(0)?,
        name: r.get(1)?,
        company: r.get(2)?,
        amount: r.get(3)?,
        currency: r.get(4)?,
        expected_close: r.get(5)?,
        owner_id: r.get(6)?,
        owner: r.get(7)?,
        version: r.get(8)?,
        stalled_at: r.get(9)?,
        stage: r.get(10)?,
    })
}

/// A scope as query parameters: the owners as a JSON list (`None` for everyone) and the
/// ids shared with the viewer.
fn scope_params(scope: &Scope) -> (Option<String>, String) {
    let json = |ids: &[i64]| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    (scope.owners().map(json), json(scope.shared()))
}

/// The newest cards of a stage that `scope` covers, `limit` of them.
pub fn cards(
    conn: &Connection,
    stage: i64,
    scope: &Scope,
    limit: usize,
) -> rusqlite::Result<Vec<Card>> {
    let owners = scope.owners();
    let filter = match owners {
        None => "",
        // One owner: that owner's stage index; several: the stage index filtered by owner.
        // (a scalar subquery is read once, so the owner's index applies).
        Some([_]) if scope.shared().is_empty() => {
            " AND d.owner_id = (SELECT value FROM json_each(?2))"
        }
        Some(_) => {
            " AND (+d.owner_id IN (SELECT value FROM json_each(?2)) OR d.id IN (SELECT value FROM json_each(?3)))"
        }
    };
    let sql = format!(
        "SELECT d.id, d.name, (SELECT name FROM companies WHERE id = d.company_id), d.amount, d.currency,
                d.expected_close, d.owner_id, (SELECT name FROM users WHERE id = d.owner_id), d.version, d.stalled_at,
                NULL
         FROM deals d WHERE d.stage_id = ?1 AND d.deleted_at IS NULL{filter}
         ORDER BY d.updated_at DESC, d.id DESC LIMIT ?4"
    );
    let (owners, shared) = scope_params(scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(params![stage, owners, shared, limit as i64], card)?
        .collect()
}

/// One forecast cell: open deals of an owner expected to close in a month.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Owner.
    pub owner_id: Option<i64>,
    /// Owner's name.
    pub owner: Option<String>,
    /// Currency.
    pub currency: String,
    /// Deals.
    pub deals: i64,
    /// Sum of amounts, minor units.
    pub amount: i64,
    /// Sum of amount × stage probability / 100, minor units (rounded once per cell).
    pub weighted: i64,
}

/// Open deals that `scope` covers, expected to close from `from` to `until` (dates), summed
/// per month, owner and currency: from the running totals (one row per month, owner, stage
/// and currency), plus the shared deals outside the owners.
pub fn forecast(
    conn: &Connection,
    scope: &Scope,
    from: &str,
    until: &str,
) -> rusqlite::Result<Vec<ForecastRow>> {
    let (owners, shared) = scope_params(scope);
    let month = |d: &str| d.chars().take(7).collect::<String>();
    let mut stmt = conn.prepare_cached(
        "SELECT month, owner_id, (SELECT name FROM users WHERE id = owner_id), currency,
                sum(deals), sum(amount), sum(weighted) FROM (
            SELECT t.month, t.owner_id, t.currency, t.deals, t.amount, t.amount * s.probability AS weighted
              FROM forecast_totals t JOIN stages s ON s.id = t.stage_id
             WHERE s.outcome = 'open' AND t.month >= ?1 AND t.month <= ?2
               AND (?3 IS NULL OR t.owner_id IN (SELECT value FROM json_each(?3)))
            UNION ALL
            SELECT substr(d.expected_close, 1, 7), ifnull(d.owner_id, 0), d.currency, 1, d.amount,
                   d.amount * s.probability
              FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE ?3 IS NOT NULL AND d.id IN (SELECT value FROM json_each(?4))
               AND d.deleted_at IS NULL AND s.outcome = 'open'
               AND d.expected_close >= ?5 AND d.expected_close <= ?6
               AND ifnull(d.owner_id, 0) NOT IN (SELECT value FROM json_each(?3)))
         GROUP BY month, owner_id, currency HAVING sum(deals) > 0
         ORDER BY month, 3, currency",
    )?;
    stmt.query_map(
        params![month(from), month(until), owners, shared, from, until],
        |r| {
            let weighted: i64 = r.get(6)?;
            let owner: i64 = r.get(1)?;
            Ok(ForecastRow {
                month: r.get(0)?,
                owner_id: (owner != 0).then_some(owner),
                owner: r.get(2)?,
                currency: r.get(3)?,
                deals: r.get(4)?,
                amount: r.get(5)?,
                weighted: crate::domain::Money::from_minor(weighted)
                    .percent(1)
                    .minor(),
            })
        },
    )?
    .collect()
}

/// Deals of a company or with a contact (entity `code` 0 or 1) for its 360° page, newest
/// first, that `scope` covers.
pub fn for_customer(
    conn: &Connection,
    code: i64,
    id: i64,
    scope: &Scope,
) -> rusqlite::Result<Vec<Card>> {
    let column = if code == 0 {
        "company_id"
    } else {
        "contact_id"
    };
    let sql = format!(
        "SELECT d.id, d.name, (SELECT name FROM companies WHERE id = d.company_id), d.amount, d.currency,
                d.expected_close, d.owner_id, (SELECT name FROM users WHERE id = d.owner_id), d.version, d.stalled_at,
                (SELECT name FROM stages WHERE id = d.stage_id)
         FROM deals d WHERE d.{column} = ?1 AND d.deleted_at IS NULL
           AND (?2 IS NULL OR d.owner_id IN (SELECT value FROM json_each(?2)) OR d.id IN (SELECT value FROM json_each(?3)))
         ORDER BY d.updated_at DESC, d.id DESC LIMIT 50"
    );
    let (owners, shared) = scope_params(scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    stmt.query_map(params![id, owners, shared], card)?.collect()
}
