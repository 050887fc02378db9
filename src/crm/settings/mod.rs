//! The company profile: name, currency, time zone and default language, set at first run
//! and editable by an administrator.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::db::Tx;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The company this installation belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompanyProfile {
    /// Company name shown in the header and on documents.
    pub name: String,
    /// ISO 4217 currency code (default CNY).
    pub currency: String,
    /// IANA time zone used to show times.
    pub time_zone: String,
    /// Default UI language code.
    pub language: String,
    /// Optimistic concurrency version.
    pub version: i64,
}

/// Currencies offered in the form; any ISO code of three capital letters is accepted.
pub const CURRENCIES: &[&str] = &[
    "CNY", "HKD", "TWD", "MOP", "USD", "EUR", "JPY", "KRW", "SGD", "GBP", "AUD", "CAD", "CHF",
];

/// Time zones offered in the form; any IANA name is accepted.
pub const TIME_ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
];

/// The profile form as submitted.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProfileInput {
    /// Company name.
    #[serde(default)]
    pub name: String,
    /// Currency code.
    #[serde(default)]
    pub currency: String,
    /// Time zone.
    #[serde(default)]
    pub time_zone: String,
    /// Language code.
    #[serde(default)]
    pub language: String,
}

impl ProfileInput {
    /// Validates the input; errors are i18n keys per field.
    pub fn parse(&self) -> Result<CompanyProfile, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.insert("name".into(), "settings.error.name".into());
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            errors.insert("currency".into(), "settings.error.currency".into());
        }
        if self.time_zone.parse::<chrono_tz::Tz>().is_err() {
            errors.insert("time_zone".into(), "settings.error.time_zone".into());
        }
        if crate::web::i18n::Lang::parse(&self.language).is_none() {
            errors.insert("language".into(), "settings.error.language".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CompanyProfile {
            name: name.to_string(),
            currency,
            time_zone: self.time_zone.clone(),
            language: self.language.clone(),
            version: 0,
        })
    }
}

/// Saves the profile inside a write, auditing each changed field.
pub fn save(tx: &mut Tx<'_>, new: &CompanyProfile) -> Result<CompanyProfile, AppError> {
    let old = store::get(tx.conn())?;
    store::put(tx.conn(), new)?;
    let o = old.clone();
    let field = |f: fn(&CompanyProfile) -> &String| o.as_ref().map(f).cloned();
    let event = Event::new(if old.is_some() {
        "settings.update"
    } else {
        "settings.create"
    })
    .entity("company_profile", 1)
    .change("name", field(|p| &p.name), new.name.clone())
    .change("currency", field(|p| &p.currency), new.currency.clone())
    .change("time_zone", field(|p| &p.time_zone), new.time_zone.clone())
    .change("language", field(|p| &p.language), new.language.clone());
    tx.audit(event)?;
    store::get(tx.conn())?.ok_or(AppError::NotFound)
}

/// The company's language, for text made without a request (exports from the command line,
/// imports); Chinese until setup is done.
pub fn language(conn: &rusqlite::Connection) -> rusqlite::Result<crate::web::i18n::Lang> {
    Ok(store::get(conn)?
        .and_then(|p| crate::web::i18n::Lang::parse(&p.language))
        .unwrap_or(crate::web::i18n::Lang::ZhCn))
}
