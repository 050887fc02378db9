//! `/admin/fields`: administrators define the custom fields of companies and contacts.

use super::{CustomField, KINDS, store};
use crate::audit::Event;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The add-field form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct FieldInput {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    required: String,
    #[serde(default)]
    in_list: String,
}

impl FieldInput {
    fn parse(&self) -> Result<CustomField, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        if !["companies", "contacts", "deals"].contains(&self.entity.as_str()) {
            errors.insert("entity".into(), "record.error.choice".into());
        }
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > 60 {
            errors.insert("label".into(), "field.error.label".into());
        }
        if !KINDS.contains(&self.kind.as_str()) {
            errors.insert("kind".into(), "record.error.choice".into());
        }
        let options: Vec<String> = self
            .options
            .split([',', '，', '\n'])
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        if ["select", "multiselect"].contains(&self.kind.as_str()) && options.is_empty() {
            errors.insert("options".into(), "field.error.options".into());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CustomField {
            id: 0,
            entity: self.entity.clone(),
            key: String::new(),
            label: label.to_string(),
            kind: self.kind.clone(),
            options,
            required: !self.required.is_empty(),
            in_list: !self.in_list.is_empty(),
        })
    }
}

async fn render(
    page: &Page,
    input: &FieldInput,
    errors: &BTreeMap<String, String>,
    fresh: bool,
) -> Result<HttpResponse, AppError> {
    let (companies, contacts, deals, required) = page
        .state
        .db
        .read(|c| {
            Ok((
                store::for_entity(c, "companies")?,
                store::for_entity(c, "contacts")?,
                store::for_entity(c, "deals")?,
                (
                    store::required(c, "companies")?,
                    store::required(c, "contacts")?,
                    store::required(c, "deals")?,
                ),
            ))
        })
        .await?;
    let optional = |e: &crate::crm::records::Entity, on: &[String]| -> Vec<minijinja::Value> {
        e.fields
            .iter()
            // A lost reason is asked for exactly when a deal is lost, never otherwise.
            .filter(|f| !f.required && f.name != "lost_reason")
            .map(|f| context! { name => f.name, on => on.iter().any(|r| r == f.name) })
            .collect()
    };
    let builtin = vec![
        (
            "companies",
            optional(&crate::crm::companies::COMPANIES, &required.0),
        ),
        (
            "contacts",
            optional(&crate::crm::contacts::CONTACTS, &required.1),
        ),
        ("deals", optional(&crate::crm::deals::DEALS, &required.2)),
    ];
    page.render_form(
        "fields/admin.html",
        context! { companies, contacts, deals, input, errors, kinds => KINDS, builtin, notice => page.notice() },
        fresh,
    )
}

/// `GET /admin/fields`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let input = FieldInput {
        entity: "contacts".into(),
        kind: "text".into(),
        ..Default::default()
    };
    render(&page, &input, &BTreeMap::new(), true).await
}

/// `POST /admin/fields`.
pub async fn create(page: Page, Form(input): Form<FieldInput>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let field = match input.parse() {
        Ok(f) => f,
        Err(errors) => return render(&page, &input, &errors, false).await,
    };
    page.state
        .db
        .write(page.actor(), move |tx| {
            let id = store::insert(tx.conn(), &field)?;
            let saved = store::get(tx.conn(), id)?;
            tx.audit(
                Event::new("field.create")
                    .entity("custom_field", id)
                    .change("entity", None::<String>, saved.entity.as_str())
                    .change("label", None::<String>, saved.label.as_str())
                    .change("kind", None::<String>, saved.kind.as_str())
                    .change("options", None::<String>, saved.options.join(", ")),
            )
        })
        .await?;
    Ok(see_other("/admin/fields?notice=saved"))
}

/// `POST /admin/fields/{id}/delete`: the definition goes; stored values stay in the records.
pub async fn delete(
    page: Page,
    id: web::Path<String>,
    Form(_): Form<crate::crm::records::pages::Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    page.state
        .db
        .write(page.actor(), move |tx| {
            let f = store::get(tx.conn(), id)?;
            store::delete(tx.conn(), id)?;
            tx.audit(
                Event::new("field.delete")
                    .entity("custom_field", id)
                    .change("label", f.label, None::<String>),
            )
        })
        .await?;
    Ok(see_other("/admin/fields?notice=saved"))
}

/// `POST /admin/fields/required`: which built-in fields of an entity must be filled in.
pub async fn set_required(
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let entity = pairs
        .iter()
        .find(|(k, _)| k == "entity")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let def: &'static crate::crm::records::Entity = match entity.as_str() {
        "companies" => &crate::crm::companies::COMPANIES,
        "contacts" => &crate::crm::contacts::CONTACTS,
        "deals" => &crate::crm::deals::DEALS,
        _ => return Err(AppError::invalid("entity", "record.error.choice")),
    };
    let chosen: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "required")
        .filter(|(_, v)| def.field(v).is_some_and(|f| !f.required))
        .map(|(_, v)| v.clone())
        .collect();
    page.state
        .db
        .write(page.actor(), move |tx| {
            let before = store::required(tx.conn(), def.table)?;
            store::set_required(tx.conn(), def.table, &chosen)?;
            tx.audit(
                Event::new("settings.required_fields")
                    .entity("required_fields", def.table)
                    .change("required", before.join(", "), chosen.join(", ")),
            )
        })
        .await?;
    Ok(see_other("/admin/fields?notice=saved"))
}
