//! `/admin/lead-rules`: administrators list, add, edit, reorder and switch off the rules
//! that assign new leads.

use super::assign::{CONDITION_FIELDS, METHODS};
use super::rules::{self, MAX_CONDITIONS, Vocabulary};
use super::rules_store::{self as store, Rule};
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::records::FieldErrors;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

/// Blank condition rows offered below the filled ones.
const BLANK_ROWS: usize = 3;

/// The routes; fixed paths before `{id}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/lead-rules", web::get().to(list))
        .route("/admin/lead-rules/new", web::get().to(new_form))
        .route("/admin/lead-rules/new", web::post().to(create))
        .route("/admin/lead-rules/{id}", web::get().to(edit_form))
        .route("/admin/lead-rules/{id}", web::post().to(update))
        .route("/admin/lead-rules/{id}/move", web::post().to(move_rule))
        .route("/admin/lead-rules/{id}/active", web::post().to(set_active));
}

fn path_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

/// A condition field's name in the page's language.
fn field_label(page: &Page, vocab: &Vocabulary, field: &str) -> String {
    match field.strip_prefix("custom.") {
        Some(key) => vocab
            .custom
            .iter()
            .find(|c| c.key == key)
            .map_or_else(|| key.to_string(), |c| c.label.clone()),
        None => page.tr(&format!("field.{field}")),
    }
}

/// `GET /admin/lead-rules`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (all, vocab) = page
        .state
        .db
        .read(|c| Ok((store::all(c)?, Vocabulary::load(c)?)))
        .await?;
    // Rules below an active rule without conditions are never reached.
    let mut caught = false;
    let rows: Vec<Value> = all
        .iter()
        .map(|r| {
            let conditions: Vec<Value> = r
                .conditions
                .iter()
                .map(|c| context! { label => field_label(&page, &vocab, &c.field), value => vocab.shown(page.lang, c) })
                .collect();
            let unreachable = caught && r.active;
            caught |= r.active && r.conditions.is_empty();
            context! { unreachable, conditions, ..Value::from_serialize(r) }
        })
        .collect();
    page.render(
        "leads/rules.html",
        context! { rules => rows, has_default => caught, notice => page.notice() },
    )
}

/// The editor, with the rows as typed (or as stored) plus blank ones.
async fn render_editor(
    page: &Page,
    rule: Option<&Rule>,
    input: &Params,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let (vocab, (departments, users)) = page
        .state
        .db
        .read(|c| {
            let all = crate::crm::departments::store::all(c)?;
            Ok((
                Vocabulary::load(c)?,
                (
                    crate::crm::departments::tree(&all),
                    crate::crm::users::store::active_names(c)?,
                ),
            ))
        })
        .await?;
    // Rows keep their numbers, so an error on row 3 stays on row 3.
    let mut rows: Vec<(String, String)> = (0..MAX_CONDITIONS)
        .map(|i| {
            let get = |k: String| input.get(&k).cloned().unwrap_or_default();
            (
                get(format!("cond_field_{i}")),
                get(format!("cond_value_{i}")),
            )
        })
        .collect();
    let used = rows
        .iter()
        .rposition(|(f, v)| !f.is_empty() || !v.is_empty())
        .map_or(0, |i| i + 1);
    rows.truncate((used + BLANK_ROWS).min(MAX_CONDITIONS));
    let mut fields: Vec<(String, String)> = CONDITION_FIELDS
        .iter()
        .map(|f| (f.to_string(), field_label(page, &vocab, f)))
        .collect();
    fields.extend(
        vocab
            .custom
            .iter()
            .map(|c| (format!("custom.{}", c.key), c.label.clone())),
    );
    let fresh = errors.is_empty();
    page.render_form(
        "leads/rules_form.html",
        context! {
            rule, input, rows, errors, fields, departments, users, methods => METHODS,
            suggestions => vocab.suggestions(page.lang),
        },
        fresh,
    )
}

/// The form input a stored rule is shown as.
fn input_of(page: &Page, vocab: &Vocabulary, r: &Rule) -> Params {
    let mut p = Params::new();
    p.insert("name".into(), r.name.clone());
    p.insert("method".into(), r.method.clone());
    let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
    p.insert("department_id".into(), id(r.department_id));
    p.insert("user_id".into(), id(r.user_id));
    if r.active {
        p.insert("active".into(), "1".into());
    }
    for (i, c) in r.conditions.iter().enumerate() {
        p.insert(format!("cond_field_{i}"), c.field.clone());
        p.insert(format!("cond_value_{i}"), vocab.shown(page.lang, c));
    }
    p
}

/// `GET /admin/lead-rules/new`.
pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let input = Params::from([
        ("method".to_string(), "round_robin".to_string()),
        ("active".to_string(), "1".to_string()),
    ]);
    render_editor(&page, None, &input, FieldErrors::new()).await
}

async fn parse(
    page: &Page,
    input: &Params,
) -> Result<(super::assign::RuleInput, FieldErrors), AppError> {
    let input = input.clone();
    page.state
        .db
        .read(move |c| Ok(rules::parse(c, &Vocabulary::load(c)?, &input)?))
        .await
}

/// `POST /admin/lead-rules/new`.
pub async fn create(page: Page, Form(input): Form<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (rule, errors) = parse(&page, &input).await?;
    if !errors.is_empty() {
        return render_editor(&page, None, &input, errors).await;
    }
    page.state
        .db
        .write(page.actor(), move |tx| rules::create(tx, &rule))
        .await?;
    Ok(see_other("/admin/lead-rules?notice=saved"))
}

async fn load(page: &Page, id: i64) -> Result<(Rule, Vocabulary), AppError> {
    let (rule, vocab) = page
        .state
        .db
        .read(move |c| Ok((store::get(c, id)?, Vocabulary::load(c)?)))
        .await?;
    Ok((rule.ok_or(AppError::NotFound)?, vocab))
}

/// `GET /admin/lead-rules/{id}`.
pub async fn edit_form(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (rule, vocab) = load(&page, path_id(&id)?).await?;
    let input = input_of(&page, &vocab, &rule);
    render_editor(&page, Some(&rule), &input, FieldErrors::new()).await
}

/// `POST /admin/lead-rules/{id}`: a save over a newer version is refused with the input kept.
pub async fn update(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id = path_id(&id)?;
    let (stored, _) = load(&page, id).await?;
    let version: i64 = input
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (rule, errors) = parse(&page, &input).await?;
    if !errors.is_empty() {
        return render_editor(&page, Some(&stored), &input, errors).await;
    }
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            rules::update(tx, id, version, &rule)
        })
        .await;
    match result {
        Ok(()) => Ok(see_other("/admin/lead-rules?notice=saved")),
        Err(AppError::Conflict(key)) => {
            // Shown again on the newest version, so saving once more overrides knowingly.
            let (current, _) = load(&page, id).await?;
            let mut input = input;
            input.remove("version");
            let errors = FieldErrors::from([("form".to_string(), key)]);
            let mut res = render_editor(&page, Some(&current), &input, errors).await?;
            *res.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

/// `POST /admin/lead-rules/{id}/move`: `direction` is `up` or `down`.
pub async fn move_rule(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id = path_id(&id)?;
    let up = input.get("direction").is_some_and(|d| d == "up");
    // A rule already at the top (or bottom) stays; nothing is written.
    let all = page.state.db.read(|c| Ok(store::all(c)?)).await?;
    let at = all
        .iter()
        .position(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    if (up && at == 0) || (!up && at + 1 == all.len()) {
        return Ok(see_other("/admin/lead-rules"));
    }
    page.state
        .db
        .write(page.actor(), move |tx| rules::move_rule(tx, id, up))
        .await?;
    Ok(see_other("/admin/lead-rules"))
}

/// `POST /admin/lead-rules/{id}/active`: `active` is `1` or `0`.
pub async fn set_active(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id = path_id(&id)?;
    let active = input.get("active").is_some_and(|v| v == "1");
    let (rule, _) = load(&page, id).await?;
    if rule.active == active {
        return Ok(see_other("/admin/lead-rules"));
    }
    page.state
        .db
        .write(page.actor(), move |tx| rules::set_active(tx, id, active))
        .await?;
    Ok(see_other("/admin/lead-rules?notice=saved"))
}
