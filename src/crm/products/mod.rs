//! The product catalog: SKU, name, unit, list price and tax rate, copied onto quote lines.
//! Products are deactivated rather than deleted, so quotes that used them stay readable.

pub mod api;
pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::crm::quotes::calc::Percent;
use crate::crm::users::FieldErrors;
use crate::db::Tx;
use crate::domain::Money;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use store::{Product, Values};

/// Longest SKU, in characters.
const MAX_SKU: usize = 40;
/// Longest name, in characters.
const MAX_NAME: usize = 200;
/// Longest unit, in characters.
const MAX_UNIT: usize = 20;

/// The product form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProductInput {
    /// SKU.
    #[serde(default)]
    pub sku: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// List price as typed.
    #[serde(default)]
    pub price: String,
    /// Tax rate in percent as typed.
    #[serde(default)]
    pub tax_rate: String,
    /// The version the form was loaded at.
    #[serde(default)]
    pub version: i64,
}

/// A validated product form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProduct {
    sku: String,
    name: String,
    unit: String,
    price: Money,
    tax_rate: Percent,
}

impl ValidProduct {
    fn values(&self) -> Values<'_> {
        Values {
            sku: &self.sku,
            name: &self.name,
            unit: &self.unit,
            price: self.price.minor(),
            tax_rate: self.tax_rate.hundredths(),
        }
    }
}

fn text(s: &str, max: usize) -> Option<String> {
    let s = s.trim();
    (s.chars().count() <= max && !s.chars().any(char::is_control)).then(|| s.to_string())
}

impl ProductInput {
    /// The form as it is put back into a page for a stored product.
    pub fn from_product(p: &Product) -> ProductInput {
        ProductInput {
            sku: p.sku.clone(),
            name: p.name.clone(),
            unit: p.unit.clone(),
            price: Money::from_minor(p.price).plain(),
            tax_rate: Percent::from_hundredths(p.tax_rate).to_string(),
            version: p.version,
        }
    }

    /// Checks every field; errors are i18n keys per field.
    pub fn validate(&self) -> Result<ValidProduct, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |field: &str, ok: Option<String>, key: &str| {
            if ok.is_none() {
                errors.insert(field.into(), key.into());
            }
            ok.unwrap_or_default()
        };
        let sku = check(
            "sku",
            text(&self.sku, MAX_SKU).filter(|s| !s.is_empty()),
            "product.error.sku",
        );
        let name = check(
            "name",
            text(&self.name, MAX_NAME).filter(|s| !s.is_empty()),
            "product.error.name",
        );
        let unit = check("unit", text(&self.unit, MAX_UNIT), "product.error.unit");
        let price = Money::parse_positive(&self.price);
        let tax_rate = Percent::parse(&self.tax_rate);
        if price.is_err() {
            errors.insert("price".into(), "product.error.price".into());
        }
        if tax_rate.is_err() {
            errors.insert("tax_rate".into(), "product.error.tax_rate".into());
        }
        match (price, tax_rate) {
            (Ok(price), Ok(tax_rate)) if errors.is_empty() => Ok(ValidProduct {
                sku,
                name,
                unit,
                price,
                tax_rate,
            }),
            _ => Err(errors),
        }
    }
}

fn audited(event: Event, before: Option<&Product>, after: &ValidProduct) -> Event {
    let old = |f: fn(&Product) -> String| before.map(f);
    event
        .change("sku", old(|p| p.sku.clone()), after.sku.clone())
        .change("name", old(|p| p.name.clone()), after.name.clone())
        .change("unit", old(|p| p.unit.clone()), after.unit.clone())
        .change(
            "price",
            old(|p| Money::from_minor(p.price).plain()),
            after.price.plain(),
        )
        .change(
            "tax_rate",
            old(|p| Percent::from_hundredths(p.tax_rate).to_string()),
            after.tax_rate.to_string(),
        )
}

/// Adds a product; refuses a SKU another product has.
pub fn create(tx: &mut Tx<'_>, p: &ValidProduct) -> Result<i64, AppError> {
    if store::sku_taken(tx.conn(), &p.sku, None)? {
        return Err(AppError::invalid("sku", "product.error.sku_taken"));
    }
    let id = store::insert(tx.conn(), &p.values())?;
    tx.audit(audited(
        Event::new("product.create").entity("product", id),
        None,
        p,
    ))?;
    Ok(id)
}

/// Changes a product if nobody changed it since `version` was read.
pub fn update(tx: &mut Tx<'_>, id: i64, version: i64, p: &ValidProduct) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    if store::sku_taken(tx.conn(), &p.sku, Some(id))? {
        return Err(AppError::invalid("sku", "product.error.sku_taken"));
    }
    if store::update(tx.conn(), id, version, &p.values())? == 0 {
        return Err(AppError::Conflict("product.error.changed".into()));
    }
    tx.audit(audited(
        Event::new("product.update").entity("product", id),
        Some(&old),
        p,
    ))?;
    Ok(())
}

/// Takes a product off (or puts it back on) the list offered for new quote lines.
pub fn set_active(tx: &mut Tx<'_>, id: i64, active: bool) -> Result<(), AppError> {
    let old = store::get(tx.conn(), id)?.ok_or(AppError::NotFound)?;
    store::set_active(tx.conn(), id, active)?;
    let action = if active {
        "product.activate"
    } else {
        "product.deactivate"
    };
    tx.audit(
        Event::new(action)
            .entity("product", id)
            .change("active", old.active, active),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(sku: &str, price: &str, tax: &str) -> ProductInput {
        ProductInput {
            sku: sku.into(),
            name: "云服务器".into(),
            unit: "台".into(),
            price: price.into(),
            tax_rate: tax.into(),
            version: 0,
        }
    }

    #[test]
    fn a_product_form_is_checked_field_by_field() {
        let ok = input(" SRV-1 ", "1,299.50", "13").validate().unwrap();
        assert_eq!(ok.sku, "SRV-1");
        assert_eq!(ok.price.minor(), 129_950);
        assert_eq!(ok.tax_rate.hundredths(), 1300);
        let errors = input("", "12.345", "101").validate().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["price", "sku", "tax_rate"]);
        assert!(input("X", "-1", "").validate().is_err());
    }
}
