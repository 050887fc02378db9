//! Reading a list request of the API: page size, sort, keyset position, text search and
//! the filters a collection offers, each checked against what that collection allows.

use super::{decode_cursor, encode_cursor, limit};
use crate::error::AppError;
use std::collections::HashMap;

/// Query keys every list takes besides its own filters.
const COMMON: &[&str] = &["q", "limit", "cursor", "sort"];

/// A list's query string as the API receives it.
pub type Query = HashMap<String, String>;

/// A list request: how many rows, in which order, after which row, containing what.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// Rows per page.
    pub limit: usize,
    /// The sort key, one of the collection's.
    pub sort: &'static str,
    /// Descending.
    pub desc: bool,
    /// The (sort value, id) of the previous page's last row.
    pub after: Option<(String, i64)>,
    /// Text to search for, trimmed; `None` when empty.
    pub q: Option<String>,
}

impl ListRequest {
    /// Reads `limit`, `sort` (one of `sorts`, with `-` in front for descending; `default`
    /// without one), `cursor` and `q`. Any other key that is not one of `filters` is refused
    /// naming it, so a misspelt filter does not quietly return everything.
    pub fn parse(
        q: &Query,
        sorts: &[&'static str],
        default: &str,
        filters: &[&str],
    ) -> Result<ListRequest, AppError> {
        if let Some(k) = q
            .keys()
            .find(|k| !COMMON.contains(&k.as_str()) && !filters.contains(&k.as_str()))
        {
            return Err(AppError::invalid(k, "this list has no such filter"));
        }
        let raw = q
            .get("sort")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .unwrap_or(default);
        let (desc, key) = match raw.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, raw),
        };
        let sort = sorts.iter().copied().find(|s| *s == key).ok_or_else(|| {
            AppError::invalid("sort", &format!("sort by one of: {}", sorts.join(", ")))
        })?;
        let after = match q.get("cursor").filter(|c| !c.is_empty()) {
            Some(c) => Some(decode_cursor(c, sort, desc)?),
            None => None,
        };
        Ok(ListRequest {
            limit: limit(q.get("limit"))?,
            sort,
            desc,
            after,
            q: text_filter(q, "q"),
        })
    }

    /// The cursor of the next page: after `last` (its sort value and id) when `more` rows
    /// follow.
    pub fn next(&self, more: bool, last: Option<(String, i64)>) -> Option<String> {
        let (value, id) = last.filter(|_| more)?;
        Some(encode_cursor(self.sort, self.desc, &value, id))
    }
}

/// A filter's text, trimmed; `None` when absent or empty.
pub fn text_filter(q: &Query, key: &str) -> Option<String> {
    q.get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A filter that names a row by id; anything but a whole number is refused naming it.
pub fn id_filter(q: &Query, key: &str) -> Result<Option<i64>, AppError> {
    text_filter(q, key)
        .map(|v| {
            v.parse()
                .map_err(|_| AppError::invalid(key, "expected a whole number (an id)"))
        })
        .transpose()
}

/// A yes/no filter: `true`/`false` (or `1`/`0`).
pub fn bool_filter(q: &Query, key: &str) -> Result<Option<bool>, AppError> {
    match text_filter(q, key).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(AppError::invalid(key, "expected true or false")),
    }
}

/// A filter that must be one of `choices`.
pub fn choice_filter(q: &Query, key: &str, choices: &[&str]) -> Result<Option<String>, AppError> {
    match text_filter(q, key) {
        Some(v) if !choices.contains(&v.as_str()) => Err(AppError::invalid(
            key,
            &format!("expected one of: {}", choices.join(", ")),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_list_request_takes_only_its_own_sorts_and_filters() {
        let sorts = ["name", "created_at"];
        let r = ListRequest::parse(
            &query(&[("sort", "-created_at"), ("q", " 张 ")]),
            &sorts,
            "name",
            &["active"],
        )
        .unwrap();
        assert_eq!(
            (r.sort, r.desc, r.q.as_deref()),
            ("created_at", true, Some("张"))
        );
        let r = ListRequest::parse(&query(&[]), &sorts, "-name", &[]).unwrap();
        assert_eq!((r.sort, r.desc, r.limit), ("name", true, 50));
        let bad_sort = ListRequest::parse(&query(&[("sort", "price")]), &sorts, "name", &[]);
        assert!(bad_sort.is_err());
        let Err(AppError::Validation { fields, .. }) =
            ListRequest::parse(&query(&[("acitve", "1")]), &sorts, "name", &["active"])
        else {
            panic!("an unknown filter is refused");
        };
        assert!(fields.contains_key("acitve"));
        let next = r.next(true, Some(("b".into(), 2))).unwrap();
        let again = ListRequest::parse(
            &query(&[("cursor", &next), ("sort", "-name")]),
            &sorts,
            "name",
            &[],
        )
        .unwrap();
        assert_eq!(again.after, Some(("b".into(), 2)));
        assert!(r.next(false, Some(("b".into(), 2))).is_none());
    }

    #[test]
    fn filters_name_themselves_when_they_cannot_be_read() {
        let q = query(&[("owner_id", "x"), ("done", "yes"), ("kind", "fax")]);
        assert!(id_filter(&q, "owner_id").is_err());
        assert!(bool_filter(&q, "done").is_err());
        assert!(choice_filter(&q, "kind", &["call"]).is_err());
        assert_eq!(
            id_filter(&query(&[("owner_id", "7")]), "owner_id").unwrap(),
            Some(7)
        );
        assert_eq!(
            bool_filter(&query(&[("done", "false")]), "done").unwrap(),
            Some(false)
        );
    }
}
