//! The forecast: open deals weighted by their stage's win probability, per month of expected
//! close and per owner, over the deals the user may see.

use super::super::{DEALS, store};
use crate::auth::Action;
use crate::crm::records::pages::Params;
use crate::domain::Money;
use crate::error::AppError;
use crate::web::page::Page;
use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use std::collections::BTreeMap;

/// Owner rows per page of the forecast.
const OWNERS_PER_PAGE: usize = 40;

/// Weighted amount, amount and number of deals.
type Sums = (i64, i64, i64);

/// The first day of the month `n` months after `d`'s.
fn month_start(d: NaiveDate, n: u32) -> NaiveDate {
    let months = d.year() * 12 + d.month0() as i32 + n as i32;
    NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

/// `GET /deals/forecast?from=YYYY-MM&months=N`.
pub async fn forecast(page: Page, q: web::Query<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require_level(DEALS.area, Action::View)?;
    let today = crate::crm::followups::pages::today(&page.state);
    let from = q
        .get("from")
        .and_then(|f| NaiveDate::parse_from_str(&format!("{f}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| month_start(today, 0));
    let months: u32 = q
        .get("months")
        .and_then(|m| m.parse().ok())
        .filter(|m| (1..=24).contains(m))
        .unwrap_or(6);
    let until = month_start(from, months) - chrono::Duration::days(1);
    let scope = page.scope(DEALS.area, Action::View).await?;
    let (a, b) = (from.to_string(), until.to_string());
    let rows = page
        .state
        .db
        .read_heavy(move |c| Ok(store::forecast(c, &scope, &a, &b)?))
        .await?;
    let home = page.state.currency();
    let month_keys: Vec<String> = (0..months)
        .map(|i| month_start(from, i).format("%Y-%m").to_string())
        .collect();
    // Rows: (owner name, currency) → month → (weighted, total, deals).
    let mut grid: BTreeMap<(String, String), BTreeMap<String, Sums>> = BTreeMap::new();
    let mut month_totals: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for r in &rows {
        let owner = r.owner.clone().unwrap_or_else(|| "—".into());
        let cell = grid
            .entry((owner, r.currency.clone()))
            .or_default()
            .entry(r.month.clone())
            .or_default();
        *cell = (cell.0 + r.weighted, cell.1 + r.amount, cell.2 + r.deals);
        let t = month_totals
            .entry((r.currency.clone(), r.month.clone()))
            .or_default();
        *t = (t.0 + r.weighted, t.1 + r.amount, t.2 + r.deals);
    }
    let show = |c: Option<&(i64, i64, i64)>| {
        c.map(|(w, t, n)| {
            context! { weighted => Money::from_minor(*w).to_string(), total => Money::from_minor(*t).to_string(), deals => n }
        })
    };
    // A team of hundreds reads in pages of owners; the totals cover them all.
    let page_no: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let pages = grid.len().div_ceil(OWNERS_PER_PAGE).max(1);
    let page_no = page_no.min(pages);
    let owners: Vec<minijinja::Value> = grid
        .iter()
        .skip((page_no - 1) * OWNERS_PER_PAGE)
        .take(OWNERS_PER_PAGE)
        .map(|((owner, currency), cells)| {
            let row_total = cells
                .values()
                .fold((0, 0, 0), |a, c| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
            context! {
                owner, currency,
                cells => month_keys.iter().map(|m| show(cells.get(m))).collect::<Vec<_>>(),
                total => show(Some(&row_total)),
            }
        })
        .collect();
    let mut currencies: Vec<String> = month_totals.keys().map(|(c, _)| c.clone()).collect();
    currencies.dedup();
    currencies.sort_by_key(|c| (c != &home, c.clone()));
    let totals: Vec<minijinja::Value> = currencies
        .iter()
        .map(|cur| {
            let cells: Vec<_> = month_keys
                .iter()
                .map(|m| show(month_totals.get(&(cur.clone(), m.clone()))))
                .collect();
            let all = month_totals
                .iter()
                .filter(|((c, _), _)| c == cur)
                .fold((0, 0, 0), |a, (_, c)| (a.0 + c.0, a.1 + c.1, a.2 + c.2));
            context! { currency => cur, cells, total => show(Some(&all)) }
        })
        .collect();
    let prev = month_start(from, 0) - chrono::Duration::days(1);
    page.render(
        "deals/forecast.html",
        context! {
            months => month_keys, owners, totals, home, page_no, pages,
            from => from.format("%Y-%m").to_string(), span => months,
            earlier => month_start(prev, 0).format("%Y-%m").to_string(),
            later => month_start(from, 1).format("%Y-%m").to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_roll_over_the_year() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(month_start(d, 0).to_string(), "2026-11-01");
        assert_eq!(month_start(d, 2).to_string(), "2027-01-01");
        assert_eq!(month_start(d, 14).to_string(), "2028-01-01");
    }
}
