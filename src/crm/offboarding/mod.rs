//! Offboarding (离职交接): one step hands everything a person owns or is assigned to a
//! colleague, audited record by record and summarized in one entry.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::crm::{companies::COMPANIES, contacts::CONTACTS, deals::DEALS, leads::LEADS, records};
use crate::db::Tx;
use crate::error::AppError;
pub use store::Holdings;

/// Moves `from`'s companies, contacts, deals and open tasks to `to`; returns what moved.
pub fn transfer(tx: &mut Tx<'_>, from: i64, to: i64) -> Result<Holdings, AppError> {
    if from == to || !store::active(tx.conn(), to)? {
        return Err(AppError::invalid("to", "offboarding.error.target"));
    }
    let companies = store::owned(tx.conn(), &COMPANIES, from)?;
    records::assign(tx, &COMPANIES, &companies, to)?;
    let contacts = store::owned(tx.conn(), &CONTACTS, from)?;
    records::assign(tx, &CONTACTS, &contacts, to)?;
    let deals = store::owned(tx.conn(), &DEALS, from)?;
    records::assign(tx, &DEALS, &deals, to)?;
    let leads = store::owned(tx.conn(), &LEADS, from)?;
    records::assign(tx, &LEADS, &leads, to)?;
    let tasks = store::open_tasks(tx.conn(), from)?;
    for (task, _) in &tasks {
        store::reassign_task(tx.conn(), *task, to)?;
        tx.audit(
            Event::new("task.assign")
                .entity("task", task)
                .change("assignee_id", from, to),
        )?;
    }
    let moved = Holdings {
        companies: companies.len() as i64,
        contacts: contacts.len() as i64,
        tasks: tasks.len() as i64,
        deals: deals.len() as i64,
        leads: leads.len() as i64,
    };
    tx.audit(
        Event::new("user.transfer")
            .entity("user", from)
            .change("transferred_to", None::<i64>, to)
            .change("companies", 0, moved.companies)
            .change("contacts", 0, moved.contacts)
            .change("deals", 0, moved.deals)
            .change("leads", 0, moved.leads)
            .change("tasks", 0, moved.tasks),
    )?;
    Ok(moved)
}
