//! `/pools/release`: an owner puts one of their records back into a pool. A record's page
//! links here with `?entity=leads&id=…`; a pool page posts here for records taken from it.

use super::pages::rights;
use super::{Pool, PoolEntity, moves, store, watchers};
use crate::auth::Action;
use crate::auth::csrf::Form;
use crate::error::AppError;
use crate::web::page::{Page, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

/// The release form (also its query string).
#[derive(Debug, Default, Deserialize)]
pub struct ReleaseInput {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    pool: String,
}

/// The record named by the form, if it is the signed-in user's: (entity, id, name).
async fn own_record(
    page: &Page,
    input: &ReleaseInput,
) -> Result<(PoolEntity, i64, String), AppError> {
    let entity = PoolEntity::parse(&input.entity).ok_or(AppError::NotFound)?;
    let id: i64 = input.id.trim().parse().map_err(|_| AppError::NotFound)?;
    let me = page.user()?;
    me.require_level(entity.area(), Action::Edit)?;
    let found = page
        .state
        .db
        .read(move |c| Ok(store::holder(c, entity, id)?))
        .await?;
    match found {
        Some((Some(owner), name, _)) if owner == me.id => Ok((entity, id, name)),
        // Someone else's record: as if it did not exist, unless the user may see it anyway.
        Some((owner, _, _))
            if page
                .scope(entity.area(), Action::View)
                .await?
                .allows_record(owner, id) =>
        {
            Err(AppError::Forbidden)
        }
        _ => Err(AppError::NotFound),
    }
}

/// The active pools of an entity, and the one that watches the user (the default).
async fn choices(page: &Page, entity: PoolEntity) -> Result<(Vec<Pool>, Option<i64>), AppError> {
    let me = page.user()?.id;
    let (pools, departments, users) = page
        .state
        .db
        .read(|c| {
            let departments = crate::crm::departments::store::all(c)?
                .into_iter()
                .map(|d| (d.id, d.parent_id))
                .collect::<Vec<_>>();
            Ok((store::all(c)?, departments, store::user_places(c)?))
        })
        .await?;
    let mine: Vec<(i64, Option<i64>)> = users.into_iter().filter(|(u, _)| *u == me).collect();
    let watching = watchers(&pools, entity, &departments, &mine)
        .into_keys()
        .next();
    let pools = pools
        .into_iter()
        .filter(|p| p.active && p.entity == entity)
        .collect();
    Ok((pools, watching))
}

async fn render(
    page: &Page,
    input: &ReleaseInput,
    error: Option<(String, StatusCode)>,
) -> Result<HttpResponse, AppError> {
    let (entity, id, name) = own_record(page, input).await?;
    let (pools, watching) = choices(page, entity).await?;
    let chosen = input.pool.parse::<i64>().ok().or(watching);
    let (error, status) = error.map_or((None, StatusCode::OK), |(k, s)| (Some(k), s));
    let mut res = page.render(
        "pools/release.html",
        context! { entity => entity.as_str(), id, name, pools, chosen, error },
    )?;
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /pools/release?entity=leads&id=…`: which pool to put the record into.
pub async fn form(page: Page, q: web::Query<ReleaseInput>) -> Result<HttpResponse, AppError> {
    render(&page, &q, None).await
}

/// `POST /pools/release`: puts the record into the chosen pool, then shows that pool if the
/// user may see it, else the list of pools.
pub async fn submit(page: Page, Form(input): Form<ReleaseInput>) -> Result<HttpResponse, AppError> {
    let (entity, id, _) = own_record(&page, &input).await?;
    let Ok(pool_id) = input.pool.trim().parse::<i64>() else {
        let e = (
            "pool.error.pool".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return render(&page, &input, Some(e)).await;
    };
    let result = page
        .state
        .db
        .write(page.actor(), move |tx| {
            moves::release(tx, entity, id, pool_id)
        })
        .await;
    match result {
        Ok(()) => {}
        Err(AppError::Validation { message, .. }) => {
            return render(
                &page,
                &input,
                Some((message, StatusCode::UNPROCESSABLE_ENTITY)),
            )
            .await;
        }
        Err(AppError::Conflict(key)) => {
            return render(&page, &input, Some((key, StatusCode::CONFLICT))).await;
        }
        Err(e) => return Err(e),
    }
    let pool = page
        .state
        .db
        .read(move |c| Ok(store::get(c, pool_id)?))
        .await?;
    let shows = match &pool {
        Some(p) => rights(&page, p).await?.see(),
        None => false,
    };
    Ok(see_other(&if shows {
        format!("/pools/{pool_id}?done=released")
    } else {
        "/pools?done=released".to_string()
    }))
}
