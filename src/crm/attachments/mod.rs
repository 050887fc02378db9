//! Files attached to companies and contacts (合同, 名片, 报价单 PDFs…), stored inside the
//! database so every backup holds them, with a size limit from the config, a clear 413 page
//! past it, and downloads checked against the viewer's permissions.

pub mod pages;
pub mod store;

use crate::audit::Event;
use crate::crm::records::Entity;
use crate::db::Tx;
use crate::error::AppError;
use sha2::{Digest, Sha256};

/// A file name safe to store and to send back: the last path component, no control
/// characters, at most 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let name = name.trim().to_string();
    if name.is_empty() {
        "file".to_string()
    } else {
        name
    }
}

/// Stores a file on a record and audits it.
pub fn attach(
    tx: &mut Tx<'_>,
    e: &Entity,
    record_id: i64,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> Result<i64, AppError> {
    let sha = hex::encode(Sha256::digest(data));
    let by = tx.actor().user_id;
    let kind = crate::crm::tags::kind(e);
    let id = store::insert(
        tx.conn(),
        kind,
        record_id,
        filename,
        content_type,
        data,
        &sha,
        by,
    )?;
    tx.audit(
        Event::new(&format!("{}.attach", e.kind))
            .entity(e.kind, record_id)
            .change(
                "attachment",
                None::<String>,
                format!("{filename} ({} bytes, sha256 {})", data.len(), &sha[..12]),
            ),
    )?;
    Ok(id)
}

/// Moves a file to the trash, audited on its record.
pub fn remove(tx: &mut Tx<'_>, id: i64) -> Result<(i64, i64), AppError> {
    let (meta, _) = store::get(tx.conn(), id)?;
    store::delete(tx.conn(), id)?;
    let kind = crate::crm::records::entity_by_code(meta.kind).map_or("company", |e| e.kind);
    tx.audit(
        Event::new(&format!("{kind}.detach"))
            .entity(kind, meta.record_id)
            .change("attachment", meta.filename, None::<String>),
    )?;
    Ok((meta.kind, meta.record_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\wang\\合同.pdf"), "合同.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\r\nb\".txt"), "ab.txt");
        assert_eq!(clean_filename(""), "file");
    }
}
