//! `/admin/pipelines`: administrators edit pipelines, their stages and the lost reasons.

use super::super::pipelines::{self, Errors, OUTCOMES, Plan, StageInput};
use super::super::store;
use crate::auth::Permission;
use crate::auth::csrf::Form;
use crate::crm::records::pages::Params;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::{HttpResponse, web};
use minijinja::context;

/// Blank rows offered below the stages for adding new ones.
const BLANK_ROWS: usize = 3;

/// `GET /admin/pipelines`.
pub async fn list(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    render_list(&page, None).await
}

async fn render_list(
    page: &Page,
    failed: Option<(String, Errors)>,
) -> Result<HttpResponse, AppError> {
    let (pipelines, stages, reasons) = page
        .state
        .db
        .read(|c| {
            Ok((
                store::pipelines(c)?,
                store::all_stages(c)?,
                store::lost_reasons(c)?,
            ))
        })
        .await?;
    let fresh = failed.is_none();
    let (reasons_text, errors) = failed.unwrap_or_else(|| (reasons.join("\n"), Errors::new()));
    page.render_form(
        "deals/pipelines.html",
        context! { pipelines, stages, reasons => reasons_text, errors, notice => page.notice() },
        fresh,
    )
}

/// `POST /admin/pipelines/lost-reasons`: one reason per line.
pub async fn save_reasons(page: Page, Form(input): Form<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let text = input.get("reasons").cloned().unwrap_or_default();
    let names: Vec<String> = text.lines().map(str::to_string).collect();
    match page
        .state
        .db
        .write(page.actor(), move |tx| {
            pipelines::set_lost_reasons(tx, &names)
        })
        .await
    {
        Ok(()) => Ok(see_other("/admin/pipelines?notice=saved")),
        Err(AppError::Validation { fields, .. }) => {
            render_list(&page, Some((text, fields.into_iter().collect()))).await
        }
        Err(e) => Err(e),
    }
}

/// The editor: the plan's rows plus blank ones for new stages.
async fn render_editor(
    page: &Page,
    id: Option<i64>,
    version: i64,
    plan: &Plan,
    errors: Errors,
) -> Result<HttpResponse, AppError> {
    let fresh = errors.is_empty();
    let mut rows = plan.stages.clone();
    rows.extend((0..BLANK_ROWS).map(|_| StageInput {
        outcome: "open".into(),
        ..Default::default()
    }));
    let deals: Vec<i64> = match id {
        Some(_) => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            page.state
                .db
                .read(move |c| {
                    ids.iter()
                        .map(|i| Ok(if *i > 0 { store::deals_at(c, *i)? } else { 0 }))
                        .collect()
                })
                .await?
        }
        None => vec![0; rows.len()],
    };
    page.render_form(
        "deals/pipeline.html",
        context! { id, version, name => plan.name, rows, deals, errors, outcomes => OUTCOMES },
        fresh,
    )
}

/// `GET /admin/pipelines/new`.
pub async fn new_form(page: Page) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    render_editor(&page, None, 0, &Plan::default(), Errors::new()).await
}

/// `POST /admin/pipelines/new`.
pub async fn create(page: Page, Form(input): Form<Params>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let (plan, errors) = pipelines::parse(&input);
    if !errors.is_empty() {
        return render_editor(&page, None, 0, &plan, errors).await;
    }
    let p = plan.clone();
    match page
        .state
        .db
        .write(page.actor(), move |tx| pipelines::create(tx, &p))
        .await
    {
        Ok(id) => Ok(see_other(&format!("/deals/board?pipeline={id}"))),
        Err(AppError::Validation { fields, .. }) => {
            render_editor(&page, None, 0, &plan, fields.into_iter().collect()).await
        }
        Err(e) => Err(e),
    }
}

/// `GET /admin/pipelines/{id}`.
pub async fn edit_form(page: Page, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (pipeline, stages) = page
        .state
        .db
        .read(move |c| Ok((store::pipeline(c, id)?, store::stages(c, id)?)))
        .await?;
    let pipeline = pipeline.ok_or(AppError::NotFound)?;
    let plan = Plan {
        name: pipeline.name.clone(),
        stages: stages
            .into_iter()
            .map(|s| StageInput {
                id: s.id,
                name: s.name,
                probability: s.probability,
                outcome: s.outcome,
                stall_days: s.stall_days,
                remove: false,
            })
            .collect(),
        lost_reasons: Vec::new(),
    };
    render_editor(&page, Some(id), pipeline.version, &plan, Errors::new()).await
}

/// `POST /admin/pipelines/{id}`.
pub async fn update(
    page: Page,
    id: web::Path<String>,
    Form(input): Form<Params>,
) -> Result<HttpResponse, AppError> {
    page.user()?.require(Permission::ManageSettings)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let version: i64 = input
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (plan, errors) = pipelines::parse(&input);
    if !errors.is_empty() {
        return render_editor(&page, Some(id), version, &plan, errors).await;
    }
    let p = plan.clone();
    match page
        .state
        .db
        .write(page.actor(), move |tx| {
            pipelines::update(tx, id, version, &p)
        })
        .await
    {
        Ok(()) => Ok(see_other("/admin/pipelines?notice=saved")),
        Err(AppError::Validation { fields, .. }) => {
            render_editor(
                &page,
                Some(id),
                version,
                &plan,
                fields.into_iter().collect(),
            )
            .await
        }
        Err(AppError::Conflict(key)) => {
            let errors = Errors::from([("stages".to_string(), key)]);
            render_editor(&page, Some(id), version, &plan, errors).await
        }
        Err(e) => Err(e),
    }
}
