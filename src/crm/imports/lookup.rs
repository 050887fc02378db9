//! The database lookups of an import, remembered for its length: a file names the same few
//! hundred companies, owners and stages in thousands of rows, and each answer only has to be
//! fetched once. A company the import itself creates is found through the import's own list
//! of created companies (see `apply`), not through these answers.

use crate::crm::records::{Lookup, pages::lookup, store};
use rusqlite::Connection;
use std::cell::RefCell;
use std::collections::HashMap;

/// Answers by name (and the company a contact belongs to), fetched once.
type ByName<K> = RefCell<HashMap<K, Option<i64>>>;

/// Answers already fetched.
#[derive(Default)]
pub struct Memo {
    named: ByName<String>,
    companies: ByName<String>,
    contacts: ByName<(String, Option<i64>)>,
    linked: ByName<(String, Option<i64>)>,
    users: RefCell<HashMap<i64, bool>>,
    industries: RefCell<HashMap<i64, bool>>,
    stages: RefCell<HashMap<i64, Option<(i64, bool)>>>,
}

/// Looks `key` up in `memo`, asking `fetch` the first time (and again after an error).
fn remember<K, V, E>(
    memo: &RefCell<HashMap<K, V>>,
    key: K,
    fetch: impl FnOnce() -> Result<V, E>,
) -> Result<V, E>
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    if let Some(v) = memo.borrow().get(&key) {
        return Ok(v.clone());
    }
    let v = fetch()?;
    memo.borrow_mut().insert(key, v.clone());
    Ok(v)
}

/// [`remember`] for a lookup that cannot fail.
fn known<K, V>(memo: &RefCell<HashMap<K, V>>, key: K, fetch: impl FnOnce() -> V) -> V
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    let found: Result<V, std::convert::Infallible> = remember(memo, key, || Ok(fetch()));
    match found {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// The memo over a connection: a [`Lookup`] for parsing rows (a company about to be created
/// resolves to id 0, as with [`lookup`] and `pending`).
pub struct Remembered<'a> {
    conn: &'a Connection,
    memo: &'a Memo,
}

impl Memo {
    /// The memo asking `conn` what it does not know yet.
    pub fn on<'a>(&'a self, conn: &'a Connection) -> Remembered<'a> {
        Remembered { conn, memo: self }
    }
}

impl Remembered<'_> {
    /// A live company by its exact or normalized name.
    pub fn company_by_name(&self, name: &str) -> rusqlite::Result<Option<i64>> {
        remember(&self.memo.named, name.to_string(), || {
            store::company_by_name(self.conn, name)
        })
    }

    /// A live contact by name, of `company` when given.
    pub fn contact_by_name(
        &self,
        name: &str,
        company: Option<i64>,
    ) -> rusqlite::Result<Option<i64>> {
        remember(&self.memo.contacts, (name.to_string(), company), || {
            store::contact_by_name(self.conn, name, company)
        })
    }
}

impl Lookup for Remembered<'_> {
    fn company(&self, name: &str) -> Option<i64> {
        let db = || lookup(self.conn, true).company(name);
        known(&self.memo.companies, name.to_string(), db)
    }
    fn contact(&self, name: &str, company: Option<i64>) -> Option<i64> {
        let db = || lookup(self.conn, true).contact(name, company);
        known(&self.memo.linked, (name.to_string(), company), db)
    }
    fn user(&self, id: i64) -> bool {
        known(&self.memo.users, id, || lookup(self.conn, true).user(id))
    }
    fn industry(&self, id: i64) -> bool {
        known(&self.memo.industries, id, || {
            lookup(self.conn, true).industry(id)
        })
    }
    fn stage(&self, id: i64) -> Option<(i64, bool)> {
        known(&self.memo.stages, id, || lookup(self.conn, true).stage(id))
    }
}
