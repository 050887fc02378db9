//! Importing the product catalog: each row checked with the product form's rules, duplicates
//! found by SKU (letters compared without case, as the catalog does), and written through
//! the same audited functions as the product pages, so an import can be undone like the
//! others.

use super::plan::{Action, Planned, Policy};
use super::prepare::Prepared;
use super::store as imports;
use super::undo::Outcome;
use crate::audit::Event;
use crate::crm::products::{self, ProductInput, store};
use crate::crm::records::{Entity, Kind, Values, field as f};
use crate::db::Tx;
use crate::error::AppError;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;

/// The number products are noted under in what an import did (records use 0 to 3).
pub const CODE: i64 = 4;

/// The catalog as the import engine sees it: the columns a file can fill and who may write
/// it. Prices and tax rates are read as the product form reads them, not as record fields.
pub static PRODUCTS: Entity = Entity {
    table: "products",
    kind: "product",
    area: crate::auth::Area::Products,
    fields: &[
        f("sku", Kind::Text(40), true, true),
        f("name", Kind::Text(200), true, true),
        f("unit", Kind::Text(20), false, true),
        f("price", Kind::Money, true, true),
        f("tax_rate", Kind::Text(10), false, true),
        f("active", Kind::Text(20), false, true),
    ],
    sorts: &[],
    code: CODE,
    on_save: None,
};

/// A yes/no cell as spreadsheets and other systems write it; `None` when it says neither.
pub fn flag(raw: &str) -> Option<bool> {
    const YES: &[&str] = &[
        "是",
        "启用",
        "已启用",
        "在售",
        "上架",
        "有效",
        "正常",
        "active",
        "enabled",
        "yes",
        "y",
        "true",
        "1",
        "on",
    ];
    const NO: &[&str] = &[
        "否",
        "停用",
        "已停用",
        "禁用",
        "下架",
        "停售",
        "无效",
        "inactive",
        "disabled",
        "no",
        "n",
        "false",
        "0",
        "off",
    ];
    let word = raw.trim().to_lowercase();
    if YES.contains(&word.as_str()) {
        Some(true)
    } else if NO.contains(&word.as_str()) {
        Some(false)
    } else {
        None
    }
}

/// A price without the currency sign or word a spreadsheet may carry (`¥1,280`, `1280元`).
fn price_text(raw: &str) -> String {
    let t = raw.trim().trim_start_matches(['¥', '￥']);
    t.trim_end_matches('元').trim().to_string()
}

/// A tax rate without its percent sign (`13%`).
fn tax_text(raw: &str) -> String {
    raw.trim().trim_end_matches(['%', '％']).trim().to_string()
}

/// The form's inputs for a row: a stored product's with the row's given fields on top.
fn form(start: ProductInput, input: &HashMap<String, String>) -> ProductInput {
    let given = |k: &str| input.get(k).map(|v| v.trim().to_string());
    ProductInput {
        sku: given("sku").unwrap_or(start.sku),
        name: given("name").unwrap_or(start.name),
        unit: given("unit").unwrap_or(start.unit),
        price: given("price").map_or(start.price, |p| price_text(&p)),
        tax_rate: given("tax_rate").map_or(start.tax_rate, |t| tax_text(&t)),
        version: start.version,
    }
}

/// Plans one row of a product file; `seen` holds the SKUs (lower case) of earlier rows that
/// create or update, with their lines.
pub fn plan(
    conn: &Connection,
    policy: Policy,
    seen: &mut HashMap<String, usize>,
    line: usize,
    p: Prepared,
) -> rusqlite::Result<Planned> {
    let (mut errors, mut warnings) = (p.errors, p.warnings);
    let active = p.input.get("active").and_then(|raw| {
        let read = flag(raw);
        if read.is_none() {
            warnings.push(format!("active: {raw}"));
        }
        read
    });
    let sku = p.input.get("sku").map(|s| s.trim().to_lowercase());
    let sku = sku.filter(|s| !s.is_empty());
    let existing = match &sku {
        Some(s) => store::by_sku(conn, s)?,
        None => None,
    };
    let earlier = sku.as_ref().and_then(|s| seen.get(s).copied());
    // An update changes only what the row gives; the rest stays as stored.
    let start = match (&existing, policy, earlier) {
        (Some(stored), Policy::Update, None) => ProductInput::from_product(stored),
        _ => ProductInput::default(),
    };
    let input = form(start, &p.input);
    if let Err(found) = input.validate() {
        errors.extend(found);
    }
    let action = match (policy, earlier, &existing) {
        _ if !errors.is_empty() => Action::Reject,
        // SKUs are unique, as on the product form: a second product with one is refused.
        (Policy::Create, Some(_), _) | (Policy::Create, None, Some(_)) => {
            errors.push(("sku".into(), "product.error.sku_taken".into()));
            Action::Reject
        }
        (_, Some(line), _) => Action::Skip {
            id: None,
            line: Some(line),
        },
        (Policy::Skip, None, Some(stored)) => Action::Skip {
            id: Some(stored.id),
            line: None,
        },
        (_, None, Some(stored)) => Action::Update { id: stored.id },
        (_, None, None) => Action::Create,
    };
    if let (Some(sku), Action::Create | Action::Update { .. }) = (sku, &action) {
        seen.entry(sku).or_insert(line);
    }
    let mut values = Values::new();
    if errors.is_empty() {
        for (k, v) in [
            ("sku", &input.sku),
            ("name", &input.name),
            ("unit", &input.unit),
            ("price", &input.price),
            ("tax_rate", &input.tax_rate),
        ] {
            values.insert(k.into(), Value::String(v.clone()));
        }
        values.insert("active".into(), active.map_or(Value::Null, Value::Bool));
    }
    Ok(Planned {
        line,
        action,
        values,
        new_company: None,
        tags: Vec::new(),
        provided: p.provided,
        errors,
        warnings,
    })
}

/// The form inputs a plan's values hold.
fn input_of(values: &Values) -> ProductInput {
    let text = |k: &str| values.get(k).and_then(Value::as_str).unwrap_or_default();
    ProductInput {
        sku: text("sku").into(),
        name: text("name").into(),
        unit: text("unit").into(),
        price: text("price").into(),
        tax_rate: text("tax_rate").into(),
        version: 0,
    }
}

/// Checks a product form once more as it is written; its first problem as the error.
fn valid(input: &ProductInput) -> Result<products::ValidProduct, AppError> {
    input.validate().map_err(|errors| {
        let (field, key) = errors.into_iter().next().unwrap_or_default();
        AppError::invalid(&field, &key)
    })
}

/// Writes a planned row: creates the product or updates the stored one, audited as the
/// product pages audit them. Returns whether anything was written.
pub fn write(tx: &mut Tx<'_>, import: i64, p: &Planned) -> Result<bool, AppError> {
    if !matches!(p.action, Action::Create | Action::Update { .. }) {
        return Ok(false);
    }
    let product = valid(&input_of(&p.values))?;
    let active = p.values.get("active").and_then(Value::as_bool);
    match p.action {
        Action::Create => {
            let id = products::create(tx, &product)?;
            if active == Some(false) {
                products::set_active(tx, id, false)?;
            }
            imports::record(tx.conn(), import, CODE, id, "created", None)?;
        }
        Action::Update { id } => {
            let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
            let before = serde_json::to_string(&old).map_err(anyhow::Error::from)?;
            products::update(tx, id, old.version, &product)?;
            if let Some(a) = active.filter(|a| *a != old.active) {
                products::set_active(tx, id, a)?;
            }
            imports::record(tx.conn(), import, CODE, id, "updated", Some(&before))?;
        }
        Action::Skip { .. } | Action::Reject => return Ok(false),
    }
    Ok(true)
}

/// Undoes what an import did to one product: one it created is removed (or, if a quote has
/// used it since, deactivated, as products quotes point at are never deleted); one it
/// updated gets its earlier values back; one that is gone is left alone.
pub fn undo(
    tx: &mut Tx<'_>,
    id: i64,
    action: &str,
    before: Option<&str>,
) -> Result<Outcome, AppError> {
    let Some(now) = store::get(tx.conn(), id)? else {
        return Ok(Outcome::Skipped);
    };
    if action == "created" {
        if store::delete_unquoted(tx.conn(), id)? == 1 {
            tx.audit(
                Event::new("product.delete")
                    .entity("product", id)
                    .change("sku", now.sku, Value::Null)
                    .change("name", now.name, Value::Null),
            )?;
        } else if now.active {
            products::set_active(tx, id, false)?;
        }
        return Ok(Outcome::Removed);
    }
    let Some(before) = before else {
        return Ok(Outcome::Skipped);
    };
    let old: store::Product = serde_json::from_str(before).map_err(anyhow::Error::from)?;
    products::update(
        tx,
        id,
        now.version,
        &valid(&ProductInput::from_product(&old))?,
    )?;
    if old.active != now.active {
        products::set_active(tx, id, old.active)?;
    }
    Ok(Outcome::Restored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_flags_are_read_in_both_languages_and_anything_else_is_left_out() {
        for yes in ["启用", "是", "Active", "TRUE", "1", "在售"] {
            assert_eq!(flag(yes), Some(true), "{yes}");
        }
        for no in ["停用", "否", "inactive", "No", "0", "下架"] {
            assert_eq!(flag(no), Some(false), "{no}");
        }
        assert_eq!(flag("也许"), None);
    }

    #[test]
    fn prices_and_tax_rates_lose_their_signs() {
        assert_eq!(price_text(" ¥1,280.50 "), "1,280.50");
        assert_eq!(price_text("1280元"), "1280");
        assert_eq!(tax_text("13%"), "13");
        assert_eq!(tax_text("6 ％"), "6");
    }
}
