//! Walking the chain: proves it intact or names the first entry that was tampered with.

use super::{Entry, GENESIS, store};
use rusqlite::Connection;

/// The outcome of a verification.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Every entry is in place.
    Intact {
        /// Number of entries.
        count: i64,
        /// Hash of the newest entry (the genesis hash when empty).
        head: String,
    },
    /// The chain is broken.
    Broken {
        /// The first entry found wrong (or where one is missing).
        entry_id: i64,
        /// What is wrong, in one sentence.
        problem: String,
    },
}

/// Walks every entry in order and checks ids, links and hashes against each other and
/// against the recorded head.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verdict> {
    let head = store::head(conn)?;
    let mut expected_id = 1;
    let mut expected_prev = GENESIS.to_string();
    let mut broken = None;
    store::for_each(conn, |e: Entry| {
        broken = check(&e, expected_id, &expected_prev, head.as_ref().map(|h| h.0));
        expected_id = e.id + 1;
        expected_prev = e.hash;
        broken.is_none()
    })?;
    if let Some(b) = broken {
        return Ok(b);
    }
    let count = expected_id - 1;
    match head {
        Some((last_id, hash)) if last_id != count || hash != expected_prev => Ok(Verdict::Broken {
            entry_id: count + 1,
            problem: format!(
                "entries after #{count} were removed: the log ended at #{last_id} with hash {hash}"
            ),
        }),
        None if count > 0 => Ok(Verdict::Broken {
            entry_id: count,
            problem: "the record of the newest entry was removed".into(),
        }),
        _ => Ok(Verdict::Intact {
            count,
            head: expected_prev,
        }),
    }
}

fn check(
    e: &Entry,
    expected_id: i64,
    expected_prev: &str,
    head_id: Option<i64>,
) -> Option<Verdict> {
    let broken = |problem: String| {
        Some(Verdict::Broken {
            entry_id: e.id,
            problem,
        })
    };
    if e.id != expected_id {
        let missing = if e.id == expected_id + 1 {
            format!("entry #{expected_id} was removed")
        } else {
            format!("entries #{expected_id} to #{} were removed", e.id - 1)
        };
        return Some(Verdict::Broken {
            entry_id: expected_id,
            problem: missing,
        });
    }
    if head_id.is_none_or(|h| e.id > h) {
        return broken(format!(
            "entry #{} was inserted after the newest recorded entry",
            e.id
        ));
    }
    if e.prev_hash != expected_prev {
        return broken(format!(
            "entry #{} does not follow the entry before it: it was inserted, or #{} was replaced",
            e.id,
            e.id - 1
        ));
    }
    if e.compute_hash() != e.hash {
        return broken(format!(
            "entry #{} was altered: its content no longer matches its hash",
            e.id
        ));
    }
    None
}
