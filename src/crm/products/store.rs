//! SQL for the product catalog.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A product as stored: price in minor units, tax rate in hundredths of a percent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: i64,
    /// Stock-keeping unit, unique (case-insensitively).
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit of sale (件, 套, hour…), may be empty.
    pub unit: String,
    /// List price in minor units.
    pub price: i64,
    /// Tax rate in hundredths of a percent.
    pub tax_rate: i64,
    /// Offered on new quote lines.
    pub active: bool,
    /// Version for optimistic concurrency.
    pub version: i64,
}

/// The catalog's editable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values<'a> {
    /// SKU.
    pub sku: &'a str,
    /// Name.
    pub name: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// Price in minor units.
    pub price: i64,
    /// Tax rate in hundredths of a percent.
    pub tax_rate: i64,
}

const COLUMNS: &str = "id, sku, name, unit, price, tax_rate, active, version";

fn product(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        sku: r.get(1)?,
        name: r.get(2)?,
        unit: r.get(3)?,
        price: r.get(4)?,
        tax_rate: r.get(5)?,
        active: r.get(6)?,
        version: r.get(7)?,
    })
}

/// A catalog list request.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only active (`Some(true)`) or inactive (`Some(false)`) products; `None` for both.
    pub active: Option<bool>,
    /// Part of the name or SKU.
    pub q: Option<String>,
    /// Products after this one (by name, then id), for the next page.
    pub after: Option<i64>,
    /// With `after`: the name that product had when the page was read, so a product renamed
    /// meanwhile does not move the next page.
    pub after_name: Option<String>,
}

/// One page of products by name, and whether more follow.
pub fn list(conn: &Connection, f: &Filter, limit: usize) -> rusqlite::Result<(Vec<Product>, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM products
         WHERE (?1 IS NULL OR active = ?1)
           AND (?2 IS NULL OR instr(lower(name), lower(?2)) > 0 OR instr(lower(sku), lower(?2)) > 0)
           AND (?3 IS NULL OR (name, id) > (coalesce(?5, (SELECT name FROM products WHERE id = ?3)), ?3))
         ORDER BY name, id LIMIT ?4"
    ))?;
    let args = params![f.active, f.q, f.after, limit as i64 + 1, f.after_name];
    let mut rows: Vec<Product> = stmt
        .query_map(args, product)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    Ok((rows, more))
}

/// Active products by name, for the quote line picker (at most `limit`).
pub fn active(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<Product>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM products WHERE active = 1 ORDER BY name, id LIMIT ?1"
    ))?;
    stmt.query_map([limit as i64], product)?.collect()
}

/// One product.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Product>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM products WHERE id = ?1"),
        [id],
        product,
    )
    .optional()
}

/// The product with this SKU, ignoring case.
pub fn by_sku(conn: &Connection, sku: &str) -> rusqlite::Result<Option<Product>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM products WHERE sku = ?1 COLLATE NOCASE"
    ))?
    .query_row([sku], product)
    .optional()
}

/// Removes a product no quote line points at (one an import added, being undone); returns
/// rows removed, 0 when a quote uses it.
pub fn delete_unquoted(conn: &Connection, id: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM products WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM quote_lines WHERE product_id = ?1)",
        [id],
    )
}

/// Whether another product (not `except`) has this SKU, ignoring case.
pub fn sku_taken(conn: &Connection, sku: &str, except: Option<i64>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM products WHERE sku = ?1 COLLATE NOCASE AND id IS NOT ?2)",
        params![sku, except],
        |r| r.get(0),
    )
}

/// Adds an active product.
pub fn insert(conn: &Connection, v: &Values<'_>) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO products (sku, name, unit, price, tax_rate, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![v.sku, v.name, v.unit, v.price, v.tax_rate, crate::db::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Changes a product if it is still at `version`; returns rows changed.
pub fn update(conn: &Connection, id: i64, version: i64, v: &Values<'_>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE products SET sku = ?3, name = ?4, unit = ?5, price = ?6, tax_rate = ?7,
                updated_at = ?8, version = version + 1
         WHERE id = ?1 AND version = ?2",
        params![
            id,
            version,
            v.sku,
            v.name,
            v.unit,
            v.price,
            v.tax_rate,
            crate::db::now()
        ],
    )
}

/// Activates or deactivates a product; returns rows changed.
pub fn set_active(conn: &Connection, id: i64, active: bool) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE products SET active = ?2, updated_at = ?3, version = version + 1
         WHERE id = ?1 AND active IS NOT ?2",
        params![id, active, crate::db::now()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(sku: &'a str, name: &'a str) -> Values<'a> {
        Values {
            sku,
            name,
            unit: "套",
            price: 100,
            tax_rate: 1300,
        }
    }

    #[test]
    fn the_list_filters_by_state_and_text_and_pages_by_name() {
        let conn = crate::db::memory().unwrap();
        let a = insert(&conn, &values("A-1", "服务器")).unwrap();
        insert(&conn, &values("B-2", "Router")).unwrap();
        let c = insert(&conn, &values("C-3", "安装服务")).unwrap();
        set_active(&conn, c, false).unwrap();
        let names = |f: &Filter| -> Vec<String> {
            list(&conn, f, 10)
                .unwrap()
                .0
                .into_iter()
                .map(|p| p.name)
                .collect()
        };
        let only_active = Filter {
            active: Some(true),
            ..Filter::default()
        };
        assert_eq!(names(&only_active), ["Router", "服务器"]);
        let search = Filter {
            q: Some("服务".into()),
            ..Filter::default()
        };
        assert_eq!(names(&search), ["安装服务", "服务器"]);
        let by_sku = Filter {
            q: Some("b-2".into()),
            ..Filter::default()
        };
        assert_eq!(names(&by_sku), ["Router"]);
        let (first, more) = list(&conn, &Filter::default(), 1).unwrap();
        assert!(more);
        let next = Filter {
            after: Some(first[0].id),
            ..Filter::default()
        };
        assert_eq!(names(&next), ["安装服务", "服务器"]);
        assert!(sku_taken(&conn, "a-1", None).unwrap());
        assert!(!sku_taken(&conn, "A-1", Some(a)).unwrap());
    }
}
