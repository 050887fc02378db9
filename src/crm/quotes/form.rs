//! The quote editor's form: a header and a table of rows (`line-N-FIELD`), read without
//! JavaScript. Rows left blank are ignored, so the page can offer empty rows to fill in.
//!
//! Picking from the catalog: a row's `product` is the product chosen and its hidden `from`
//! the product its values were copied from. When they differ, the product was just picked:
//! for a row that had no product, blank fields are filled from the catalog (typed ones are
//! kept); for a row that switched products, SKU, name, unit, price and tax rate are all
//! replaced. Fields left blank on a catalog row are always filled from the catalog.

use super::calc::{Percent, Quantity};
use super::store::Line;
use super::{Draft, LineDraft};
use crate::crm::products::store::Product;
use crate::crm::users::FieldErrors;
use crate::domain::Money;
use serde::Serialize;
use std::collections::HashMap;

/// At most this many lines on a quote.
pub const MAX_LINES: usize = 200;
/// Empty rows offered below the filled ones.
pub const BLANK_ROWS: usize = 3;
const MAX_NAME: usize = 200;
const MAX_SKU: usize = 40;
const MAX_UNIT: usize = 20;
const MAX_NOTES: usize = 4000;

/// One row of the lines table as typed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RowInput {
    /// The chosen product's id, or empty for free text.
    pub product: String,
    /// The product the row's values were copied from.
    pub from: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Quantity.
    pub quantity: String,
    /// Unit price.
    pub price: String,
    /// Line discount, percent.
    pub discount: String,
    /// Tax rate, percent.
    pub tax_rate: String,
    /// Ticked to drop the row.
    pub remove: bool,
}

impl RowInput {
    /// Nothing that makes a line was typed (discount and tax alone do not).
    pub fn is_blank(&self) -> bool {
        [
            &self.product,
            &self.sku,
            &self.name,
            &self.quantity,
            &self.price,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// The whole editor as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QuoteInput {
    /// The deal (new quotes only).
    pub deal: String,
    /// The version the form was loaded at.
    pub version: i64,
    /// Overall discount, percent.
    pub discount: String,
    /// Valid until, YYYY-MM-DD.
    pub valid_until: String,
    /// Terms and notes.
    pub notes: String,
    /// The lines table.
    pub rows: Vec<RowInput>,
    /// The button pressed: `save`, or `rows` to add rows and recalculate without saving.
    pub action: String,
}

impl QuoteInput {
    /// Reads the posted pairs; unknown names are ignored.
    pub fn from_pairs(pairs: &[(String, String)]) -> QuoteInput {
        let mut input = QuoteInput::default();
        let mut rows: HashMap<usize, RowInput> = HashMap::new();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "deal" => input.deal = v,
                "version" => input.version = v.trim().parse().unwrap_or(0),
                "discount" => input.discount = v,
                "valid_until" => input.valid_until = v,
                "notes" => input.notes = v,
                "action" => input.action = v,
                _ => {
                    let Some((i, field)) = k
                        .strip_prefix("line-")
                        .and_then(|rest| rest.split_once('-'))
                        .and_then(|(i, f)| Some((i.parse::<usize>().ok()?, f)))
                        .filter(|(i, _)| *i < MAX_LINES * 2)
                    else {
                        continue;
                    };
                    let row = rows.entry(i).or_default();
                    match field {
                        "product" => row.product = v,
                        "from" => row.from = v,
                        "sku" => row.sku = v,
                        "name" => row.name = v,
                        "unit" => row.unit = v,
                        "quantity" => row.quantity = v,
                        "price" => row.price = v,
                        "discount" => row.discount = v,
                        "tax_rate" => row.tax_rate = v,
                        "remove" => row.remove = !v.is_empty(),
                        _ => {}
                    }
                }
            }
        }
        let last = rows.keys().max().map_or(0, |m| m + 1);
        input.rows = (0..last)
            .map(|i| rows.remove(&i).unwrap_or_default())
            .collect();
        input
    }

    /// The form for a stored quote.
    pub fn from_quote(q: &super::store::Quote, lines: &[Line]) -> QuoteInput {
        let pct = |h: i64| Percent::from_hundredths(h).to_string();
        QuoteInput {
            deal: q.deal_id.to_string(),
            version: q.version,
            discount: pct(q.discount),
            valid_until: q.valid_until.clone().unwrap_or_default(),
            notes: q.notes.clone(),
            rows: lines
                .iter()
                .map(|l| {
                    let product = l.product_id.map(|p| p.to_string()).unwrap_or_default();
                    RowInput {
                        from: product.clone(),
                        product,
                        sku: l.sku.clone(),
                        name: l.name.clone(),
                        unit: l.unit.clone(),
                        quantity: Quantity::from_thousandths(l.quantity).to_string(),
                        price: Money::from_minor(l.price).plain(),
                        discount: pct(l.discount),
                        tax_rate: pct(l.tax_rate),
                        remove: false,
                    }
                })
                .collect(),
            action: String::new(),
        }
    }

    /// Product ids the rows mention (chosen or copied from).
    pub fn product_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .rows
            .iter()
            .flat_map(|r| [&r.product, &r.from])
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Drops removed and blank rows, then adds `blank` empty rows at the end.
    pub fn tidy(&mut self, blank: usize) {
        self.rows.retain(|r| !r.remove && !r.is_blank());
        self.rows
            .extend(std::iter::repeat_with(RowInput::default).take(blank));
    }

    /// Copies catalog values into rows that picked a product (see the module docs). A row
    /// that newly picks a product not in `catalog` (unknown, inactive, or the user may not
    /// use the catalog) is marked wrong.
    pub fn fill_from_catalog(&mut self, catalog: &HashMap<i64, Product>, errors: &mut FieldErrors) {
        for (i, row) in self.rows.iter_mut().enumerate() {
            let chosen = row.product.trim().to_string();
            if chosen.is_empty() || row.remove {
                continue;
            }
            let picked_now = chosen != row.from.trim();
            let product = chosen.parse::<i64>().ok().and_then(|id| catalog.get(&id));
            let Some(p) = product.filter(|p| p.active || !picked_now) else {
                if picked_now {
                    errors.insert(format!("line-{i}-product"), "quote.error.product".into());
                }
                continue;
            };
            let replace = picked_now && !row.from.trim().is_empty();
            let put = |field: &mut String, value: String| {
                if replace || field.trim().is_empty() {
                    *field = value;
                }
            };
            put(&mut row.sku, p.sku.clone());
            put(&mut row.name, p.name.clone());
            put(&mut row.unit, p.unit.clone());
            put(&mut row.price, Money::from_minor(p.price).plain());
            put(
                &mut row.tax_rate,
                Percent::from_hundredths(p.tax_rate).to_string(),
            );
            row.from = chosen;
        }
    }

    /// Checks the header and every row that is neither blank nor removed. Returns the draft
    /// and, for each of its lines, the row it came from; errors name `line-N-FIELD`.
    pub fn validate(&self) -> Result<(Draft, Vec<usize>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut err = |field: String, key: &str| {
            errors.insert(field, key.to_string());
        };
        let discount = Percent::parse(&self.discount).unwrap_or_else(|_| {
            err("discount".into(), "quote.error.discount");
            Percent::ZERO
        });
        let valid_until = match self.valid_until.trim() {
            "" => None,
            d if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => Some(d.to_string()),
            _ => {
                err("valid_until".into(), "quote.error.valid_until");
                None
            }
        };
        let notes = self.notes.trim().to_string();
        if notes.chars().count() > MAX_NOTES {
            err("notes".into(), "quote.error.notes");
        }
        let mut lines = Vec::new();
        let mut rows = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.remove || r.is_blank() {
                continue;
            }
            let f = |name: &str| format!("line-{i}-{name}");
            let text = |s: &str, max: usize| {
                let s = s.trim();
                (s.chars().count() <= max && !s.chars().any(char::is_control))
                    .then(|| s.to_string())
            };
            let name = text(&r.name, MAX_NAME).filter(|n| !n.is_empty());
            let sku = text(&r.sku, MAX_SKU);
            let unit = text(&r.unit, MAX_UNIT);
            let quantity = Quantity::parse(&r.quantity).ok();
            let price = Money::parse_positive(&r.price).ok();
            let line_discount = Percent::parse(&r.discount).ok();
            let tax_rate = Percent::parse(&r.tax_rate).ok();
            let checks = [
                ("name", name.is_none()),
                ("sku", sku.is_none()),
                ("unit", unit.is_none()),
                ("quantity", quantity.is_none()),
                ("price", price.is_none()),
                ("discount", line_discount.is_none()),
                ("tax_rate", tax_rate.is_none()),
            ];
            for (field, bad) in checks {
                if bad {
                    err(f(field), &format!("quote.error.line_{field}"));
                }
            }
            if let (
                Some(name),
                Some(sku),
                Some(unit),
                Some(quantity),
                Some(price),
                Some(d),
                Some(t),
            ) = (name, sku, unit, quantity, price, line_discount, tax_rate)
            {
                lines.push(LineDraft {
                    product_id: r.product.trim().parse().ok(),
                    sku,
                    name,
                    unit,
                    quantity,
                    price,
                    discount: d,
                    tax_rate: t,
                });
                rows.push(i);
            }
        }
        if rows.len() > MAX_LINES {
            err("form".into(), "quote.error.too_many");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            Draft {
                discount,
                valid_until,
                notes,
                lines,
            },
            rows,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn product(id: i64, active: bool) -> Product {
        Product {
            id,
            sku: format!("SKU-{id}"),
            name: format!("产品{id}"),
            unit: "台".into(),
            price: 12_345,
            tax_rate: 1300,
            active,
            version: 1,
        }
    }

    #[test]
    fn rows_are_read_in_order_and_blank_ones_are_skipped() {
        let input = QuoteInput::from_pairs(&pairs(&[
            ("discount", "7.5"),
            ("line-2-name", "安装"),
            ("line-2-quantity", "1"),
            ("line-2-price", "500"),
            ("line-0-name", "咨询"),
            ("line-0-quantity", "0.333"),
            ("line-0-price", "10"),
            ("line-0-discount", "15"),
            ("line-1-discount", "5"),
        ]));
        assert_eq!(input.rows.len(), 3);
        let (draft, rows) = input.validate().unwrap();
        assert_eq!(rows, [0, 2]);
        assert_eq!(draft.lines[0].name, "咨询");
        assert_eq!(draft.lines[0].quantity.thousandths(), 333);
        assert_eq!(draft.discount.hundredths(), 750);
    }

    #[test]
    fn bad_cells_are_named_by_row_and_field() {
        let input = QuoteInput::from_pairs(&pairs(&[
            ("line-0-name", "咨询"),
            ("line-0-quantity", "0"),
            ("line-0-price", "1.234"),
            ("line-1-quantity", "2"),
            ("valid_until", "2026-02-30"),
        ]));
        let errors = input.validate().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "line-0-price",
                "line-0-quantity",
                "line-1-name",
                "line-1-price",
                "valid_until"
            ]
        );
    }

    #[test]
    fn a_picked_product_fills_blank_cells_and_a_switched_one_replaces_them() {
        let catalog = HashMap::from([
            (1, product(1, true)),
            (2, product(2, true)),
            (3, product(3, false)),
        ]);
        let mut input = QuoteInput::from_pairs(&pairs(&[
            ("line-0-product", "1"),
            ("line-0-quantity", "2"),
            ("line-0-price", "99"),
            ("line-1-product", "2"),
            ("line-1-from", "1"),
            ("line-1-name", "改过的名字"),
            ("line-1-price", "1"),
            ("line-1-quantity", "1"),
            ("line-2-product", "3"),
            ("line-2-from", "3"),
            ("line-2-name", "旧产品"),
            ("line-2-price", "5"),
            ("line-2-quantity", "1"),
            ("line-3-product", "3"),
            ("line-3-quantity", "1"),
        ]));
        let mut errors = FieldErrors::new();
        input.fill_from_catalog(&catalog, &mut errors);
        let r = &input.rows;
        assert_eq!(
            (r[0].name.as_str(), r[0].price.as_str()),
            ("产品1", "99"),
            "typed price kept"
        );
        assert_eq!(r[0].tax_rate, "13");
        assert_eq!(
            (r[1].name.as_str(), r[1].price.as_str()),
            ("产品2", "123.45"),
            "replaced"
        );
        assert_eq!(
            r[2].name, "旧产品",
            "an inactive product already on the quote stays"
        );
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["line-3-product"],
            "an inactive product cannot be picked anew"
        );
        assert_eq!(r[1].from, "2");
    }
}
