//! The two UI languages and their catalogs (`assets/i18n/en.toml`, `zh-CN.toml`).
//!
//! Catalogs are TOML tables; a key is its dotted path (`login.title`). A missing key
//! falls back to English, then to the key itself, so a gap shows up plainly in review.

use super::Assets;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    /// English.
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// Both languages, in the order the switcher shows them.
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 code, as stored and sent in `lang=""`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh-CN" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn negotiate(header: &str) -> Option<Lang> {
        let mut options: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim().to_ascii_lowercase();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let lang = if tag.starts_with("zh") {
                    Lang::ZhCn
                } else if tag.starts_with("en") {
                    Lang::En
                } else {
                    return None;
                };
                Some((q, lang))
            })
            .collect();
        options.sort_by(|a, b| b.0.total_cmp(&a.0));
        options.first().map(|o| o.1)
    }

    /// Translates a key.
    pub fn tr(self, key: &str) -> String {
        lookup(self, key)
    }
}

type Catalog = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

fn load(file: &str) -> Catalog {
    let mut out = Catalog::new();
    let text = Assets::get(&format!("i18n/{file}"))
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    match text.parse::<toml::Table>() {
        Ok(t) => flatten("", &t, &mut out),
        Err(e) => tracing::error!("The {file} catalog is malformed: {e}"),
    }
    out
}

static EN: LazyLock<Catalog> = LazyLock::new(|| load("en.toml"));
static ZH: LazyLock<Catalog> = LazyLock::new(|| load("zh-CN.toml"));

fn catalog(lang: Lang) -> &'static Catalog {
    match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH,
    }
}

/// The text for `key` in `lang`, falling back to English, then to the key.
pub fn lookup(lang: Lang, key: &str) -> String {
    catalog(lang)
        .get(key)
        .or_else(|| EN.get(key))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// Whether a key exists in `lang`'s catalog (for the catalog completeness test).
pub fn has(lang: Lang, key: &str) -> bool {
    catalog(lang).contains_key(key)
}

/// All keys of a language (for the catalog completeness test).
pub fn keys(lang: Lang) -> Vec<String> {
    let mut k: Vec<String> = catalog(lang).keys().cloned().collect();
    k.sort();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::ZhCn));
        assert_eq!(Lang::negotiate("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::negotiate("fr-FR, en;q=0.5, zh;q=0.7"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::negotiate("de"), None);
    }

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let en = keys(Lang::En);
        let zh = keys(Lang::ZhCn);
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
        assert!(en.len() > 50);
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let mut missing = Vec::new();
        let mut sources: Vec<(String, String)> = Assets::iter()
            .filter(|p| p.starts_with("templates/"))
            .filter_map(|p| {
                Assets::get(&p)
                    .map(|f| (p.to_string(), String::from_utf8_lossy(&f.data).into_owned()))
            })
            .collect();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        for entry in walk(std::path::Path::new(src)) {
            sources.push((
                entry.display().to_string(),
                std::fs::read_to_string(&entry).unwrap(),
            ));
        }
        for (name, text) in sources {
            if name.ends_with(".rs") {
                // Message keys handed around as string literals in Rust code.
                for literal in text.split('"').skip(1).step_by(2) {
                    let prefixes = [
                        "users.error.",
                        "account.error.",
                        "password.",
                        "settings.error.",
                        "setup.error.",
                    ];
                    let plain = literal
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                    if plain
                        && prefixes.iter().any(|p| literal.starts_with(p))
                        && !has(Lang::En, literal)
                    {
                        missing.push(format!("{name}: {literal}"));
                    }
                }
            }
            let markers: &[&str] = if name.ends_with(".rs") {
                &["tr(\""]
            } else {
                &["t(\"", "t('"]
            };
            for marker in markers {
                for (at, _) in text.match_indices(marker) {
                    let before = text[..at].chars().next_back().unwrap_or(' ');
                    if before.is_alphanumeric() || before == '_' {
                        continue;
                    }
                    let rest = &text[at + marker.len()..];
                    let key: String = rest
                        .chars()
                        .take_while(|c| *c != '"' && *c != '\'')
                        .collect();
                    let dynamic = key.ends_with('.')
                        || key.ends_with('_')
                        || key.contains(' ')
                        || !key.contains('.');
                    if !dynamic && !has(Lang::En, &key) {
                        missing.push(format!("{name}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:#?}"
        );
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
        out
    }
}
