//! Converting a lead (转化): in one audited step it becomes a company, a contact and, if
//! wanted, a deal, reusing a company or contact the duplicate check found. Its follow-ups
//! and tasks go with it, so nothing of its history is left behind.

use super::{LEADS, store};
use crate::audit::Event;
use crate::crm::records::{self, Values};
use crate::crm::{companies::COMPANIES, contacts::CONTACTS, deals::DEALS};
use crate::db::Tx;
use crate::error::AppError;
use serde_json::Value;

pub use store::followed_up;

/// A record to use: one that exists, or one to create from these values.
#[derive(Debug, Clone)]
pub enum Target {
    /// An existing record's id.
    Existing(i64),
    /// A new record.
    New(Values),
}

/// What the lead becomes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The company.
    pub company: Target,
    /// The contact (linked to the company).
    pub contact: Target,
    /// A deal (for the company and contact), if wanted.
    pub deal: Option<Values>,
}

/// The records a lead became.
#[derive(Debug, Clone, Copy)]
pub struct Converted {
    /// Company.
    pub company: i64,
    /// Contact.
    pub contact: i64,
    /// Deal.
    pub deal: Option<i64>,
}

/// Converts lead `id`, seen at `version`, as planned.
pub fn convert(tx: &mut Tx<'_>, id: i64, version: i64, plan: Plan) -> Result<Converted, AppError> {
    let lead = records::store::get(tx.conn(), &LEADS, id)?;
    if lead.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if lead.version != version || lead.values.get("status") == Some(&Value::from("converted")) {
        return Err(AppError::Conflict("record.error.changed".into()));
    }
    let company = match plan.company {
        Target::Existing(c) => c,
        Target::New(values) => records::create(tx, &COMPANIES, &values)?,
    };
    let contact = match plan.contact {
        Target::Existing(c) => c,
        Target::New(mut values) => {
            values.insert("company_id".into(), Value::from(company));
            records::create(tx, &CONTACTS, &values)?
        }
    };
    let deal = match plan.deal {
        Some(mut values) => {
            values.insert("company_id".into(), Value::from(company));
            values.insert("contact_id".into(), Value::from(contact));
            Some(records::create(tx, &DEALS, &values)?)
        }
        None => None,
    };
    if store::mark_converted(tx.conn(), id, version, (company, contact, deal))? == 0 {
        return Err(AppError::Conflict("record.error.changed".into()));
    }
    let moved = store::hand_on_history(tx.conn(), id, company, contact)?;
    tx.audit(
        Event::new("lead.convert")
            .entity("lead", id)
            .change("status", lead.values.get("status").cloned(), "converted")
            .change("company_id", Value::Null, company)
            .change("contact_id", Value::Null, contact)
            .change("deal_id", Value::Null, deal)
            .change("activities", 0, moved as i64),
    )?;
    Ok(Converted {
        company,
        contact,
        deal,
    })
}
