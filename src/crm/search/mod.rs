//! Global search over companies and contacts: names, company names, emails, notes, and phone
//! numbers by any run of digits. Chinese works with one- and two-character queries because
//! every CJK character is indexed as its own token and a query becomes a phrase of them.
//!
//! Ranking stays cheap at any result size: names starting with the query come first (an
//! index range), then full-text matches newest first, both stopped at the page size, so a
//! query matching half the database costs the same as a rare one.

pub mod pages;
pub mod rebuild;
pub mod store;

/// Whether a character is written without spaces between words (CJK and kana).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Text as indexed: each CJK character stands alone, everything else as written.
pub fn index_text(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        for c in part.chars() {
            if is_cjk(c) {
                out.push(' ');
                out.push(c);
                out.push(' ');
            } else {
                out.push(c);
            }
        }
        out.push(' ');
    }
    out
}

/// The token that marks an entry as owned by `owner`. It starts with a private-use
/// character, which the index keeps inside tokens but a query never contains (the query
/// parser treats it as a separator), so no search can match it unless it asks for owners.
pub fn owner_token(owner: i64) -> String {
    format!("\u{E000}o{owner}")
}

/// An FTS5 expression matching entries owned by any of `owners`.
fn owned_by_any(owners: &[i64]) -> String {
    owners
        .iter()
        .map(|o| quote(&owner_token(*o)))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn quote(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

/// What a query asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Query {
    /// An FTS5 expression over `search_words`.
    Words(String),
    /// A run of at least three digits, for `search_digits`.
    Digits(String),
}

/// What a query is made of once read.
#[derive(Debug, PartialEq, Eq)]
enum Terms {
    /// A phone number or part of one: at least three digits.
    Digits(String),
    /// Required terms: latin words (lower-cased, matched as prefixes) and runs of CJK
    /// characters (matched as consecutive characters).
    Words(Vec<Term>),
}

#[derive(Debug, PartialEq, Eq)]
enum Term {
    Word(String),
    Run(Vec<String>),
}

/// Reads a query the way the index is written: CJK characters one by one, other letters
/// and digits as words, everything else as a separator.
fn terms(q: &str) -> Option<Terms> {
    let q = q.trim();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if q.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) && digits.len() >= 3 {
        return Some(Terms::Digits(digits));
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let mut run: Vec<String> = Vec::new();
    let end_word = |word: &mut String, out: &mut Vec<Term>| {
        if !word.is_empty() {
            out.push(Term::Word(std::mem::take(word).to_lowercase()));
        }
    };
    let end_run = |run: &mut Vec<String>, out: &mut Vec<Term>| {
        if !run.is_empty() {
            out.push(Term::Run(std::mem::take(run)));
        }
    };
    for c in q.chars() {
        if is_cjk(c) {
            end_word(&mut word, &mut out);
            run.push(c.to_string());
        } else if c.is_alphanumeric() {
            end_run(&mut run, &mut out);
            word.push(c);
        } else {
            end_word(&mut word, &mut out);
            end_run(&mut run, &mut out);
        }
    }
    end_word(&mut word, &mut out);
    end_run(&mut run, &mut out);
    (!out.is_empty()).then_some(Terms::Words(out))
}

/// Turns what the user typed into a safe FTS5 expression: CJK runs become phrases of single
/// characters, other words become prefix terms, all of them required. Nothing the user types
/// reaches FTS5 unquoted.
pub fn parse(q: &str) -> Option<Query> {
    Some(match terms(q)? {
        Terms::Digits(d) => Query::Digits(quote(&d)),
        Terms::Words(t) => Query::Words(
            t.iter()
                .map(|t| match t {
                    Term::Word(w) => format!("{}*", quote(w)),
                    Term::Run(r) => quote(&r.join(" ")),
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    })
}

/// The words and phone digits a record is indexed under.
pub fn record_text(
    e: &crate::crm::records::Entity,
    r: &crate::crm::records::store::Record,
) -> (String, Vec<String>) {
    values_text(e, &r.values, r.company_name.as_deref())
}

/// [`record_text`] from a record's values and its company's name, for a record being
/// written (its values are in hand; reading it back would only repeat them).
pub fn values_text(
    e: &crate::crm::records::Entity,
    values: &crate::crm::records::Values,
    company: Option<&str>,
) -> (String, Vec<String>) {
    use serde_json::Value;
    let text = |name: &str| values.get(name).and_then(Value::as_str).unwrap_or("");
    // Text in custom fields is searchable too.
    let custom: Vec<&str> = match values.get("custom") {
        Some(Value::Object(m)) => m
            .values()
            .flat_map(|v| match v {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let words = index_text(&[
        &custom.join(" "),
        text("name"),
        company.unwrap_or(""),
        text("email"),
        text("wechat"),
        text("title"),
        text("city"),
        text("notes"),
    ]);
    let digits = e
        .fields
        .iter()
        .filter(|f| f.kind == crate::crm::records::Kind::Phone)
        .map(|f| text(&format!("{}_digits", f.name)).to_string())
        .filter(|d| !d.is_empty())
        .collect();
    (words, digits)
}

/// Whether a query matches this indexed text, the way the index would: every word a
/// prefix of some token, every CJK run consecutive tokens, digits inside a phone's digits.
/// Used to check a match against only the fields a user may see.
pub fn matches(q: &str, words: &str, digits: &[String]) -> bool {
    let tokens: Vec<String> = words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect();
    match terms(q) {
        None => false,
        Some(Terms::Digits(d)) => digits.iter().any(|x| x.contains(&d)),
        Some(Terms::Words(t)) => t.iter().all(|t| match t {
            Term::Word(w) => tokens.iter().any(|tok| tok.starts_with(w.as_str())),
            Term::Run(r) => tokens.windows(r.len()).any(|w| w == r.as_slice()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_against_visible_text_follows_the_index() {
        let words = index_text(&["华为技术", "Zhang Wei", "wei@example.cn"]);
        let digits = vec!["13800138000".to_string()];
        assert!(matches("华为", &words, &digits));
        assert!(matches("技术 zha", &words, &digits));
        assert!(!matches("华技", &words, &digits));
        assert!(matches("0013", &words, &digits));
        assert!(!matches("0013", &words, &[]));
        assert!(matches("example", &words, &digits));
        assert!(!matches("xample", &words, &digits));
    }

    #[test]
    fn chinese_is_indexed_one_character_at_a_time() {
        assert_eq!(
            index_text(&["华为", "Li Na"])
                .split_whitespace()
                .collect::<Vec<_>>(),
            vec!["华", "为", "Li", "Na"]
        );
    }

    #[test]
    fn queries_become_quoted_phrases_and_prefixes() {
        assert_eq!(parse("张"), Some(Query::Words("\"张\"".into())));
        assert_eq!(parse("华为"), Some(Query::Words("\"华 为\"".into())));
        assert_eq!(
            parse("zhang wei"),
            Some(Query::Words("\"zhang\"* AND \"wei\"*".into()))
        );
        assert_eq!(
            parse("华为 Li"),
            Some(Query::Words("\"华 为\" AND \"li\"*".into()))
        );
        assert_eq!(parse("138 0013"), Some(Query::Digits("\"1380013\"".into())));
        assert_eq!(
            parse("\" OR *"),
            Some(Query::Words("\"or\"*".into())),
            "operators are quoted"
        );
        assert_eq!(parse("*()"), None);
        assert_eq!(
            parse("a\"b"),
            Some(Query::Words("\"a\"* AND \"b\"*".into()))
        );
        assert_eq!(parse("  "), None);
    }
}
