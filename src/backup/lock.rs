//! Advisory file locks: one server per data folder, one backup at a time. The operating
//! system releases them when the process ends, however it ends, so a crash never leaves a
//! stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it; what it wrote into the file says who.
    #[error("held by {holder}")]
    Held {
        /// The holder's note, such as `kith serve (pid 1234)`.
        holder: String,
        /// The holder's process id, when known.
        pid: Option<u32>,
    },
    /// The lock file could not be opened.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Takes the lock at `path` without waiting, writing `who` into it.
pub fn try_lock(path: &Path, who: &str) -> Result<Lock, LockError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let text = text.trim().to_string();
            let pid = text
                .rsplit("pid ")
                .next()
                .and_then(|s| s.trim_end_matches(')').parse().ok());
            return Err(LockError::Held {
                holder: if text.is_empty() {
                    "another process".into()
                } else {
                    text
                },
                pid,
            });
        }
        Err(TryLockError::Error(e)) => return Err(e.into()),
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{who} (pid {})", std::process::id())?;
    file.flush()?;
    Ok(Lock {
        _file: file,
        path: path.to_path_buf(),
    })
}

/// Whether someone holds the lock at `path` right now.
pub fn is_held(path: &Path) -> bool {
    matches!(try_lock_quietly(path), Err(LockError::Held { .. }))
}

fn try_lock_quietly(path: &Path) -> Result<(), LockError> {
    if !path.exists() {
        return Ok(());
    }
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(LockError::Held {
            holder: String::new(),
            pid: None,
        }),
        Err(TryLockError::Error(e)) => Err(e.into()),
    }
}

/// The lock a running server holds on its data folder.
pub fn server_lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("kith.lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = try_lock(&path, "kith serve").unwrap();
        assert!(is_held(&path));
        match try_lock(&path, "kith restore") {
            Err(LockError::Held { holder, pid }) => {
                assert!(holder.starts_with("kith serve"), "{holder}");
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("expected held, got {other:?}"),
        }
        drop(first);
        assert!(!is_held(&path));
        try_lock(&path, "kith restore").unwrap();
    }
}
