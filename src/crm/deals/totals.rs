//! A board's column totals for one viewer, summed from every owner's running totals.
//!
//! The running totals (`stage_totals`, kept by triggers in the same transaction as every
//! deal change) hold one row per stage, currency and owner. A manager's board covers a team
//! of a hundred or more owners: asking SQLite for each owner's rows of each stage took a
//! thousand index seeks and about a third of the page. The pipeline's rows are instead read
//! once and remembered until the next change (they are a few thousand small rows whoever
//! looks), and each viewer's team is summed from them in memory.

use super::store::{self, Total};
use crate::auth::scope::Scope;
use crate::db::Db;
use crate::error::AppError;
use rusqlite::Connection;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Every owner's running totals of one pipeline.
pub struct OwnerTotals {
    by_owner: HashMap<i64, Vec<Total>>,
}

impl OwnerTotals {
    fn load(conn: &Connection, pipeline: i64) -> rusqlite::Result<OwnerTotals> {
        let mut by_owner: HashMap<i64, Vec<Total>> = HashMap::new();
        for (owner, total) in store::owner_totals(conn, pipeline)? {
            by_owner.entry(owner).or_default().push(total);
        }
        Ok(OwnerTotals { by_owner })
    }

    /// Per stage and currency (in that order), the deals `scope` covers, plus `shared`:
    /// the shared deals outside its owners.
    fn sum(&self, scope: &Scope, shared: Vec<Total>) -> Vec<Total> {
        let everyone = [-1];
        let owners: HashSet<i64> = scope
            .owners()
            .unwrap_or(&everyone)
            .iter()
            .copied()
            .collect();
        let mut sums: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
        let rows = owners
            .iter()
            .filter_map(|o| self.by_owner.get(o))
            .flatten()
            .chain(shared.iter());
        for t in rows {
            let sum = sums.entry((t.stage_id, t.currency.clone())).or_default();
            sum.0 += t.deals;
            sum.1 += t.amount;
        }
        sums.into_iter()
            .filter(|(_, (deals, _))| *deals > 0)
            .map(|((stage_id, currency), (deals, amount))| Total {
                stage_id,
                currency,
                deals,
                amount,
            })
            .collect()
    }
}

/// Per stage and currency, the deals of `pipeline` that `scope` covers: its owners' deals
/// and the deals shared with the viewer.
pub fn for_scope(
    db: &Db,
    conn: &Connection,
    pipeline: i64,
    scope: &Scope,
) -> Result<Vec<Total>, AppError> {
    // Remembered per pipeline (the memo's second key is the pipeline's id here).
    let all = db.memo_for_in(conn, ("deals", "owner_totals"), pipeline, |c| {
        OwnerTotals::load(c, pipeline)
    })?;
    let shared = match scope.owners() {
        Some(_) if !scope.shared().is_empty() => store::shared_totals(conn, pipeline, scope)?,
        _ => Vec::new(),
    };
    Ok(all.sum(scope, shared))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(stage_id: i64, currency: &str, deals: i64, amount: i64) -> Total {
        Total {
            stage_id,
            currency: currency.into(),
            deals,
            amount,
        }
    }

    fn owner_totals() -> OwnerTotals {
        let rows = [
            (-1, total(2, "CNY", 5, 500)),
            (-1, total(1, "CNY", 3, 300)),
            (-1, total(1, "USD", 1, 10)),
            (7, total(1, "CNY", 2, 200)),
            (7, total(2, "CNY", 0, 0)),
            (8, total(1, "CNY", 1, 100)),
            (8, total(1, "USD", 1, 10)),
            (9, total(2, "CNY", 5, 500)),
        ];
        let mut by_owner: HashMap<i64, Vec<Total>> = HashMap::new();
        for (o, t) in rows {
            by_owner.entry(o).or_default().push(t);
        }
        OwnerTotals { by_owner }
    }

    fn flat(totals: &[Total]) -> Vec<(i64, &str, i64, i64)> {
        totals
            .iter()
            .map(|t| (t.stage_id, t.currency.as_str(), t.deals, t.amount))
            .collect()
    }

    #[test]
    fn everyone_sees_the_whole_pipeline_in_stage_and_currency_order() {
        let sums = owner_totals().sum(&Scope::All, Vec::new());
        assert_eq!(
            flat(&sums),
            [(1, "CNY", 3, 300), (1, "USD", 1, 10), (2, "CNY", 5, 500)]
        );
    }

    #[test]
    fn a_team_sums_its_owners_once_each_with_shared_deals_and_no_empty_columns() {
        let scope = Scope::owners_only(vec![7, 8, 8, 42]);
        let sums = owner_totals().sum(&scope, vec![total(2, "CNY", 1, 50)]);
        assert_eq!(
            flat(&sums),
            [(1, "CNY", 3, 300), (1, "USD", 1, 10), (2, "CNY", 1, 50)]
        );
        let nobody = owner_totals().sum(&Scope::owners_only(vec![42]), Vec::new());
        assert!(nobody.is_empty());
    }
}
