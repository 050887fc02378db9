//! After an upgrade to schema version 31, the search entries written before then are
//! rewritten with their owners in the background while the server serves: a slice of
//! record ids per transaction, other people's saves let in between slices. Searches work
//! the old way until it is done (see [`super::store::rebuild`]).

use super::store::rebuild::{self, Progress};
use crate::db::Db;
use std::time::{Duration, Instant};

/// Record ids per slice (of companies and of contacts each): about 0.1 s of writing.
const SLICE: i64 = 1000;

/// Starts the rewrite if one is pending.
pub fn spawn(db: Db) {
    let progress = db.read_blocking(|c| Ok(rebuild::progress(c)?));
    match progress {
        Ok(Progress::Done) => return,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!("Could not read the state of the search index: {e}");
            return;
        }
    }
    std::thread::spawn(move || {
        let started = Instant::now();
        tracing::info!("Adding owners to the search index in the background");
        loop {
            match db.bookkeeping_blocking(|c| rebuild::step(c, SLICE)) {
                Ok(Progress::Done) => break,
                Ok(_) => db.let_others_write(),
                Err(e) => {
                    tracing::warn!(
                        "Could not add owners to the search index, trying again in a minute: {e}"
                    );
                    std::thread::sleep(Duration::from_secs(60));
                }
            }
        }
        tracing::info!(
            "Search index has its owners ({} s)",
            started.elapsed().as_secs()
        );
    });
}
