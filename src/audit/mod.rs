//! The tamper-evident audit log: what changed, who did it, from where, chained by SHA-256.
//!
//! Entries are appended only through the write path (`db::Tx::audit`). Each entry's hash
//! covers the previous entry's hash and a canonical encoding of the entry, so `kith audit
//! verify` finds an entry that was altered, removed or inserted after the fact.

pub mod pages;
pub mod store;
mod verify;

pub use verify::{Verdict, verify};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash that the first entry chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One field's value before and after a change.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Change {
    /// The field name.
    pub field: String,
    /// The value before (null when created).
    pub before: Value,
    /// The value after (null when removed).
    pub after: Value,
}

/// What the caller of the write path says happened.
#[derive(Debug, Clone)]
pub struct Event {
    /// Dotted action name such as `user.create` or `login.failed`.
    pub action: String,
    /// Kind of record affected, such as `user`.
    pub entity_type: Option<String>,
    /// Id of the record affected.
    pub entity_id: Option<String>,
    /// Changed fields with before/after values.
    pub changes: Vec<Change>,
}

impl Event {
    /// An event with no record attached (e.g. a failed login).
    pub fn new(action: &str) -> Event {
        Event {
            action: action.to_string(),
            entity_type: None,
            entity_id: None,
            changes: Vec::new(),
        }
    }

    /// Names the record the event is about.
    pub fn entity(mut self, kind: &str, id: impl ToString) -> Event {
        self.entity_type = Some(kind.to_string());
        self.entity_id = Some(id.to_string());
        self
    }

    /// Records one field's change; unchanged values are skipped.
    pub fn change(
        mut self,
        field: &str,
        before: impl Into<Value>,
        after: impl Into<Value>,
    ) -> Event {
        let (before, after) = (before.into(), after.into());
        if before != after {
            self.changes.push(Change {
                field: field.to_string(),
                before,
                after,
            });
        }
        self
    }

    /// Records that a secret field changed without recording either value.
    pub fn secret_changed(mut self, field: &str) -> Event {
        self.changes.push(Change {
            field: field.to_string(),
            before: Value::String("••••".into()),
            after: Value::String("(changed)".into()),
        });
        self
    }
}

/// An entry as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Position in the chain, consecutive from 1.
    pub id: i64,
    /// UTC time, RFC 3339.
    pub at: String,
    /// The user, or none for the system.
    pub actor_id: Option<i64>,
    /// Who, as shown at the time.
    pub actor: String,
    /// Client address.
    pub ip: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Action name.
    pub action: String,
    /// Record kind.
    pub entity_type: Option<String>,
    /// Record id.
    pub entity_id: Option<String>,
    /// Changes as stored: a JSON array of [`Change`].
    pub changes: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry: SHA-256 over the previous hash, a newline, and the
    /// canonical JSON of every other column in a fixed order.
    pub fn compute_hash(&self) -> String {
        // Serialized straight from the fields: the same bytes as building a JSON array value
        // and printing it, without copying every column into it first.
        let canonical = (
            self.id,
            &self.at,
            self.actor_id,
            &self.actor,
            &self.ip,
            &self.request_id,
            &self.action,
            &self.entity_type,
            &self.entity_id,
            &self.changes,
        );
        let mut text = Vec::with_capacity(256 + self.changes.len());
        // Writing strings and integers into memory cannot fail.
        let _ = serde_json::to_writer(&mut text, &canonical);
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(&text);
        hex::encode(h.finalize())
    }

    /// The changes parsed back, for display.
    pub fn parsed_changes(&self) -> Vec<Change> {
        serde_json::from_str(&self.changes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_the_same_canonical_text_as_entries_written_before() {
        let e = Entry {
            id: 42,
            at: "2024-05-01T08:00:00.000Z".into(),
            actor_id: None,
            actor: "王芳 \"admin\"".into(),
            ip: Some("127.0.0.1".into()),
            request_id: None,
            action: "contact.create".into(),
            entity_type: Some("contact".into()),
            entity_id: Some("7".into()),
            changes: r#"[{"field":"name","before":null,"after":"张伟\n"}]"#.into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        // The encoding entries were hashed with so far: a JSON array value, printed.
        let canonical = serde_json::json!([
            e.id,
            e.at,
            e.actor_id,
            e.actor,
            e.ip,
            e.request_id,
            e.action,
            e.entity_type,
            e.entity_id,
            e.changes,
        ]);
        let mut h = Sha256::new();
        h.update(format!("{}\n{canonical}", e.prev_hash).as_bytes());
        assert_eq!(e.compute_hash(), hex::encode(h.finalize()));
    }
}
