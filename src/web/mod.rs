//! The web layer shared by every feature: templates, the i18n catalog, static assets,
//! request middleware and the page context.

pub mod api;
pub mod assets;
pub mod i18n;
pub mod middleware;
pub mod page;
pub mod rate;
pub mod upload;

use crate::error::AppError;
use i18n::Lang;
use minijinja::value::Kwargs;
use minijinja::{Environment, Error as TplError, State, Value};
use std::sync::Arc;

/// Everything under `assets/`: templates, static files, catalogs. Read from disk in debug
/// builds (edit and reload), embedded in the binary in release builds.
#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
pub struct Assets;

/// The template environment.
#[derive(Clone)]
pub struct Templates {
    shared: Arc<Environment<'static>>,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// Builds the environment with Kith's functions and filters.
    pub fn new() -> Templates {
        Templates {
            shared: Arc::new(build()),
        }
    }

    /// Renders a template. Debug builds re-read templates on every render.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, AppError> {
        let fresh;
        let env = if cfg!(debug_assertions) {
            fresh = build();
            &fresh
        } else {
            self.shared.as_ref()
        };
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template {name}: {e:#}")))
    }
}

fn build() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_loader(|name| {
        Ok(Assets::get(&format!("templates/{name}"))
            .map(|f| String::from_utf8_lossy(&f.data).into_owned()))
    });
    env.add_function("t", translate);
    env.add_function("asset", |path: &str| assets::url(path));
    env.add_function("label", label);
    env.add_filter("datetime", datetime);
    env.add_filter("json", |v: Value| {
        serde_json::to_string(&v).unwrap_or_default()
    });
    env
}

fn state_lang(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or(Lang::En)
}

/// `t("key", name=value)`: the text in the page's language with `{name}` filled in.
fn translate(state: &State, key: &str, kwargs: Kwargs) -> Result<String, TplError> {
    let mut text = i18n::lookup(state_lang(state), key);
    for name in kwargs.args().map(str::to_string).collect::<Vec<_>>() {
        let value: Value = kwargs.get(&name)?;
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    Ok(text)
}

/// `label("field", name)`: the catalog's name for a field, record kind or action, or the
/// raw name when the catalog has none (custom fields, kinds added later).
fn label(state: &State, group: &str, name: &str) -> String {
    let lang = state_lang(state);
    // Role changes are audited per grant (`grant.AREA.ACTION`) and per field rule
    // (`field.AREA.FIELD`).
    if group == "field"
        && let Some((kind, rest)) = name.split_once('.')
        && let Some((area, what)) = rest.split_once('.')
        && matches!(kind, "grant" | "field")
        && i18n::has(Lang::En, &format!("roles.areas.{area}"))
    {
        let area = i18n::lookup(lang, &format!("roles.areas.{area}"));
        let what = if kind == "grant" {
            i18n::lookup(lang, &format!("roles.action.{what}"))
        } else {
            label(state, "field", what)
        };
        return format!(
            "{} · {area} · {what}",
            i18n::lookup(lang, &format!("roles.audit_{kind}"))
        );
    }
    let key = format!("{group}.{name}");
    if i18n::has(lang, &key) || i18n::has(Lang::En, &key) {
        i18n::lookup(lang, &key)
    } else {
        name.to_string()
    }
}

/// Formats a stored UTC time in the company's time zone (`tz` in the context).
fn datetime(state: &State, value: Value) -> String {
    let Some(s) = value.as_str() else {
        return String::new();
    };
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) else {
        return s.to_string();
    };
    let tz: chrono_tz::Tz = state
        .lookup("tz")
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(chrono_tz::Asia::Shanghai);
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Escapes text for HTML element content and attribute values, for the few places that build
/// markup in Rust instead of a template.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Appends `s` to `out` escaped as [`escape_html`] does.
pub fn push_escaped(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_built_in_rust_is_escaped() {
        assert_eq!(
            super::escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
        assert_eq!(super::escape_html("王芳"), "王芳");
    }
}
