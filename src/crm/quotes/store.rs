//! SQL for quotes, their lines and approval history, and the few deal columns a quote needs
//! (read here directly, so quotes depend on the `deals` table only).

use super::calc::{Percent, Quantity, Totals};
use super::{Draft, LineDraft};
use crate::domain::Money;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Serialize, Serializer};

/// The deal a quote is for.
#[derive(Debug, Clone, Serialize)]
pub struct Deal {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The customer company.
    pub company_id: i64,
    /// The company's name, printed as the customer.
    pub company_name: String,
    /// Owner, who also owns the deal's quotes.
    pub owner_id: Option<i64>,
    /// The deal's currency.
    pub currency: String,
    /// In the trash.
    pub deleted: bool,
}

/// One deal, trashed or not.
pub fn deal(conn: &Connection, id: i64) -> rusqlite::Result<Option<Deal>> {
    conn.query_row(
        "SELECT d.id, d.name, d.company_id, c.name, d.owner_id, d.currency, d.deleted_at IS NOT NULL
         FROM deals d JOIN companies c ON c.id = d.company_id WHERE d.id = ?1",
        [id],
        |r| {
            Ok(Deal {
                id: r.get(0)?,
                name: r.get(1)?,
                company_id: r.get(2)?,
                company_name: r.get(3)?,
                owner_id: r.get(4)?,
                currency: r.get(5)?,
                deleted: r.get(6)?,
            })
        },
    )
    .optional()
}

/// Live deals, most recently changed first, owned by one of `owners` (`None`: any), for
/// choosing which deal a new quote is for.
pub fn recent_deals(
    conn: &Connection,
    owners: Option<&[i64]>,
    limit: usize,
) -> rusqlite::Result<Vec<Deal>> {
    let owners = owners.map(|o| serde_json::Value::from(o.to_vec()).to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT d.id, d.name, d.company_id, c.name, d.owner_id, d.currency, 0
         FROM deals d JOIN companies c ON c.id = d.company_id
         WHERE d.deleted_at IS NULL
           AND (?1 IS NULL OR d.owner_id IN (SELECT value FROM json_each(?1)))
         ORDER BY d.updated_at DESC, d.id DESC LIMIT ?2",
    )?;
    stmt.query_map(params![owners, limit as i64], |r| {
        Ok(Deal {
            id: r.get(0)?,
            name: r.get(1)?,
            company_id: r.get(2)?,
            company_name: r.get(3)?,
            owner_id: r.get(4)?,
            currency: r.get(5)?,
            deleted: false,
        })
    })?
    .collect()
}

fn money_text<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&m.to_string())
}

/// A quote as the deal page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteSummary {
    /// Id (the page is `/quotes/ID`).
    pub id: i64,
    /// `Q-2026-0001`.
    pub number: String,
    /// Status name (`quote.status.NAME` in the catalogs).
    pub status: String,
    /// The total including tax; serialized as display text (`1,234.50`).
    #[serde(serialize_with = "money_text")]
    pub total: Money,
    /// Currency code of the total.
    pub currency: String,
    /// UTC, RFC 3339.
    pub created_at: String,
}

/// A deal's quotes, newest first. The caller has checked the viewer may see the deal; a
/// quote's owner is the deal's owner, so they may see these too.
pub fn for_deal(conn: &Connection, deal_id: i64) -> rusqlite::Result<Vec<QuoteSummary>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, number, status, total, currency, created_at FROM quotes
         WHERE deal_id = ?1 ORDER BY id DESC",
    )?;
    stmt.query_map([deal_id], |r| {
        Ok(QuoteSummary {
            id: r.get(0)?,
            number: r.get(1)?,
            status: r.get(2)?,
            total: Money::from_minor(r.get(3)?),
            currency: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?
    .collect()
}

/// A quote with the names it is shown with. Amounts in minor units, percentages in
/// hundredths of a percent.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// Id.
    pub id: i64,
    /// `Q-2026-0001`.
    pub number: String,
    /// The deal.
    pub deal_id: i64,
    /// The deal's name.
    pub deal_name: String,
    /// The customer company.
    pub company_id: i64,
    /// The customer's name.
    pub company_name: String,
    /// Owner (the deal's owner when the quote was made).
    pub owner_id: Option<i64>,
    /// Owner's name.
    pub owner_name: Option<String>,
    /// Status name.
    pub status: String,
    /// Currency code.
    pub currency: String,
    /// Overall discount.
    pub discount: i64,
    /// Σ line amounts.
    pub subtotal: i64,
    /// Σ line shares of the overall discount.
    pub discount_amount: i64,
    /// Σ line taxes.
    pub tax: i64,
    /// subtotal − discount + tax.
    pub total: i64,
    /// Valid until (YYYY-MM-DD).
    pub valid_until: Option<String>,
    /// Terms and notes.
    pub notes: String,
    /// The manager asked to approve it.
    pub approver_id: Option<i64>,
    /// Their name.
    pub approver_name: Option<String>,
    /// UTC, RFC 3339.
    pub created_at: String,
    /// UTC, RFC 3339.
    pub updated_at: String,
    /// Version for optimistic concurrency.
    pub version: i64,
}

const QUOTE: &str = "SELECT q.id, q.number, q.deal_id, d.name, d.company_id, c.name, q.owner_id,
       o.name, q.status, q.currency, q.discount, q.subtotal, q.discount_amount, q.tax, q.total,
       q.valid_until, q.notes, q.approver_id, a.name, q.created_at, q.updated_at, q.version
  FROM quotes q JOIN deals d ON d.id = q.deal_id JOIN companies c ON c.id = d.company_id
  LEFT JOIN users o ON o.id = q.owner_id LEFT JOIN users a ON a.id = q.approver_id";

fn quote(r: &rusqlite::Row<'_>) -> rusqlite::Result<Quote> {
    Ok(Quote {
        id: r.get(0)?,
        number: r.get(1)?,
        deal_id: r.get(2)?,
        deal_name: r.get(3)?,
        company_id: r.get(4)?,
        company_name: r.get(5)?,
        owner_id: r.get(6)?,
        owner_name: r.get(7)?,
        status: r.get(8)?,
        currency: r.get(9)?,
        discount: r.get(10)?,
        subtotal: r.get(11)?,
        discount_amount: r.get(12)?,
        tax: r.get(13)?,
        total: r.get(14)?,
        valid_until: r.get(15)?,
        notes: r.get(16)?,
        approver_id: r.get(17)?,
        approver_name: r.get(18)?,
        created_at: r.get(19)?,
        updated_at: r.get(20)?,
        version: r.get(21)?,
    })
}

/// One quote.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Quote>> {
    conn.query_row(&format!("{QUOTE} WHERE q.id = ?1"), [id], quote)
        .optional()
}

/// A list request: newest first, keyset by id.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only quotes owned by these users (the viewer's scope); `None` for all.
    pub owners: Option<Vec<i64>>,
    /// With `owners`: these quotes too (shared with the viewer).
    pub shared: Vec<i64>,
    /// With `owners`: quotes this user is asked to approve too.
    pub approver: Option<i64>,
    /// Only quotes waiting for this user's approval.
    pub awaiting: Option<i64>,
    /// Quotes older than this id.
    pub before: Option<i64>,
    /// Only quotes for this deal.
    pub deal: Option<i64>,
    /// Oldest first, from quotes newer than `before` (which then means "after").
    pub ascending: bool,
}

/// One page of quotes and whether more follow.
pub fn list(
    conn: &Connection,
    q: &ListQuery,
    limit: usize,
) -> rusqlite::Result<(Vec<Quote>, bool)> {
    let json = |ids: &[i64]| serde_json::Value::from(ids.to_vec()).to_string();
    let (dir, cmp) = if q.ascending {
        ("ASC", ">")
    } else {
        ("DESC", "<")
    };
    let mut stmt = conn.prepare_cached(&format!(
        "{QUOTE} WHERE (?1 IS NULL OR q.status = ?1)
           AND (?2 IS NULL OR q.owner_id IN (SELECT value FROM json_each(?2))
                OR q.id IN (SELECT value FROM json_each(?3)) OR q.approver_id = ?4)
           AND (?5 IS NULL OR (q.approver_id = ?5 AND q.status = 'pending'))
           AND (?6 IS NULL OR q.id {cmp} ?6)
           AND (?8 IS NULL OR q.deal_id = ?8)
         ORDER BY q.id {dir} LIMIT ?7"
    ))?;
    let args = params![
        q.status,
        q.owners.as_deref().map(json),
        json(&q.shared),
        q.approver,
        q.awaiting,
        q.before,
        limit as i64 + 1,
        q.deal
    ];
    let mut rows: Vec<Quote> = stmt
        .query_map(args, quote)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// A stored line. Amounts in minor units, percentages in hundredths, quantity in thousandths.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// 0-based position.
    pub position: i64,
    /// The catalog product it was picked from.
    pub product_id: Option<i64>,
    /// SKU at the time.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price.
    pub price: i64,
    /// Line discount.
    pub discount: i64,
    /// Tax rate.
    pub tax_rate: i64,
    /// After the line discount.
    pub amount: i64,
    /// Share of the overall discount.
    pub overall_discount: i64,
    /// Tax.
    pub tax: i64,
}

impl Line {
    /// The line as a draft again (to edit it, or compare it).
    pub fn draft(&self) -> LineDraft {
        LineDraft {
            product_id: self.product_id,
            sku: self.sku.clone(),
            name: self.name.clone(),
            unit: self.unit.clone(),
            quantity: Quantity::from_thousandths(self.quantity),
            price: Money::from_minor(self.price),
            discount: Percent::from_hundredths(self.discount),
            tax_rate: Percent::from_hundredths(self.tax_rate),
        }
    }
}

/// A quote's lines in order.
pub fn lines(conn: &Connection, quote_id: i64) -> rusqlite::Result<Vec<Line>> {
    let mut stmt = conn.prepare_cached(
        "SELECT position, product_id, sku, name, unit, quantity, price, discount, tax_rate,
                amount, overall_discount, tax
         FROM quote_lines WHERE quote_id = ?1 ORDER BY position",
    )?;
    stmt.query_map([quote_id], |r| {
        Ok(Line {
            position: r.get(0)?,
            product_id: r.get(1)?,
            sku: r.get(2)?,
            name: r.get(3)?,
            unit: r.get(4)?,
            quantity: r.get(5)?,
            price: r.get(6)?,
            discount: r.get(7)?,
            tax_rate: r.get(8)?,
            amount: r.get(9)?,
            overall_discount: r.get(10)?,
            tax: r.get(11)?,
        })
    })?
    .collect()
}

/// What a new quote is created with besides its draft.
#[derive(Debug, Clone)]
pub struct NewQuote<'a> {
    /// `Q-2026-0001`.
    pub number: &'a str,
    /// The numbering year.
    pub year: i32,
    /// The number within the year.
    pub seq: i64,
    /// The deal.
    pub deal_id: i64,
    /// The deal's owner.
    pub owner_id: Option<i64>,
    /// The company's currency.
    pub currency: &'a str,
    /// Who made it.
    pub created_by: Option<i64>,
}

/// The next number within a year (inside the write transaction that uses it).
pub fn next_seq(conn: &Connection, year: i32) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM quotes WHERE year = ?1",
        [year],
        |r| r.get(0),
    )
}

/// Adds a draft quote with its totals (lines go in with [`replace_lines`]).
pub fn insert(conn: &Connection, n: &NewQuote<'_>, d: &Draft, t: &Totals) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO quotes (number, year, seq, deal_id, owner_id, currency, discount, subtotal,
                             discount_amount, tax, total, valid_until, notes, created_by,
                             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        params![
            n.number,
            n.year,
            n.seq,
            n.deal_id,
            n.owner_id,
            n.currency,
            d.discount.hundredths(),
            t.subtotal.minor(),
            t.discount.minor(),
            t.tax.minor(),
            t.total.minor(),
            d.valid_until,
            d.notes,
            n.created_by,
            crate::db::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Saves a quote's header and totals if it is still at `version`, back to draft with no
/// approver; returns rows changed.
pub fn update(
    conn: &Connection,
    id: i64,
    version: i64,
    d: &Draft,
    t: &Totals,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE quotes SET discount = ?3, subtotal = ?4, discount_amount = ?5, tax = ?6,
                total = ?7, valid_until = ?8, notes = ?9, status = 'draft', approver_id = NULL,
                updated_at = ?10, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![
            id,
            version,
            d.discount.hundredths(),
            t.subtotal.minor(),
            t.discount.minor(),
            t.tax.minor(),
            t.total.minor(),
            d.valid_until,
            d.notes,
            crate::db::now()
        ],
    )
}

/// Replaces a quote's lines with the draft's, with their computed figures.
pub fn replace_lines(conn: &Connection, id: i64, d: &Draft, t: &Totals) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM quote_lines WHERE quote_id = ?1", [id])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO quote_lines (quote_id, position, product_id, sku, name, unit, quantity,
                                  price, discount, tax_rate, amount, overall_discount, tax)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for (i, (l, f)) in d.lines.iter().zip(&t.lines).enumerate() {
        stmt.execute(params![
            id,
            i as i64,
            l.product_id,
            l.sku,
            l.name,
            l.unit,
            l.quantity.thousandths(),
            l.price.minor(),
            l.discount.hundredths(),
            l.tax_rate.hundredths(),
            f.amount.minor(),
            f.overall_discount.minor(),
            f.tax.minor()
        ])?;
    }
    Ok(())
}

/// Moves a quote from one status to another, setting who is asked to approve it; returns
/// rows changed (0 when it was no longer at `from`).
pub fn set_status(
    conn: &Connection,
    id: i64,
    from: &str,
    to: &str,
    approver: Option<i64>,
) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE quotes SET status = ?3, approver_id = coalesce(?4, approver_id), updated_at = ?5,
                version = version + 1
         WHERE id = ?1 AND status = ?2",
        params![id, from, to, approver, crate::db::now()],
    )
}

/// An entry of a quote's approval history.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteEvent {
    /// What happened (`quote.event.NAME`).
    pub action: String,
    /// Who did it.
    pub user_name: Option<String>,
    /// The approver's comment.
    pub comment: String,
    /// UTC, RFC 3339.
    pub created_at: String,
}

/// Records a step in a quote's history.
pub fn add_event(
    conn: &Connection,
    quote_id: i64,
    action: &str,
    user: Option<i64>,
    comment: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO quote_events (quote_id, action, user_id, comment, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![quote_id, action, user, comment, crate::db::now()],
    )?;
    Ok(())
}

/// A quote's history, oldest first.
pub fn events(conn: &Connection, quote_id: i64) -> rusqlite::Result<Vec<QuoteEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.action, u.name, e.comment, e.created_at FROM quote_events e
         LEFT JOIN users u ON u.id = e.user_id WHERE e.quote_id = ?1 ORDER BY e.id",
    )?;
    stmt.query_map([quote_id], |r| {
        Ok(QuoteEvent {
            action: r.get(0)?,
            user_name: r.get(1)?,
            comment: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?
    .collect()
}

/// The user's manager, if they have one who can still sign in.
pub fn active_manager(conn: &Connection, user: i64) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT m.id FROM users u JOIN users m ON m.id = u.manager_id
         WHERE u.id = ?1 AND m.disabled_at IS NULL",
        [user],
        |r| r.get(0),
    )
    .optional()
}

/// The discount above which a quote needs approval (the default of 20% before setup).
pub fn threshold(conn: &Connection) -> rusqlite::Result<Percent> {
    let h: Option<i64> = conn
        .query_row(
            "SELECT quote_approval_threshold FROM company_profile WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(Percent::from_hundredths(h.unwrap_or(2000)))
}

/// Sets the approval threshold; returns rows changed (0 before setup).
pub fn set_threshold(conn: &Connection, p: Percent) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE company_profile SET quote_approval_threshold = ?1, updated_at = ?2 WHERE id = 1",
        params![p.hundredths(), crate::db::now()],
    )
}

#[cfg(test)]
mod tests;
