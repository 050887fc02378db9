//! The REST API under `/api/v1`: its routes and its OpenAPI description. Each collection's
//! handlers live with their feature (`records::api`, `followups::api`, …); authentication
//! by token is `auth::bearer`.

pub mod openapi;

use crate::crm::records::Entity;
use actix_web::web;

/// The record collections, served by `records::api`.
pub fn record_entities() -> [&'static Entity; 4] {
    crate::crm::records::all()
}

/// Registers every `/api/v1` route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/openapi.json", web::get().to(openapi::document));
    for e in record_entities() {
        records(cfg, e);
    }
    products(cfg);
    users(cfg);
    tags(cfg);
    followups(cfg);
    quotes(cfg);
}

/// Answers every method not registered before it on `path` with 405 saying `what` is taken,
/// in the API's error shape.
fn refuse_others(cfg: &mut web::ServiceConfig, path: &str, what: &'static str) {
    cfg.route(
        path,
        web::route().to(move || crate::web::api::not_allowed(what)),
    );
}

fn products(cfg: &mut web::ServiceConfig) {
    use crate::crm::products::api as p;
    cfg.route("/api/v1/products", web::get().to(p::list))
        .route("/api/v1/products", web::post().to(p::create))
        .route("/api/v1/products/{id}", web::get().to(p::get))
        .route("/api/v1/products/{id}", web::patch().to(p::patch))
        .route("/api/v1/products/{id}", web::delete().to(p::delete));
}

fn records(cfg: &mut web::ServiceConfig, e: &'static Entity) {
    use crate::crm::records::{api, pages::Params};
    use crate::web::api::JsonObject;
    use crate::web::page::Page;
    use actix_web::HttpRequest;
    type Id = web::Path<String>;
    let base = format!("/api/v1/{}", e.table);
    let one = format!("{base}/{{id}}");
    cfg.route(
        &base,
        web::get().to(move |pg: Page, q: web::Query<Params>| api::list(e, pg, q)),
    )
    .route(
        &base,
        web::post()
            .to(move |pg: Page, q: web::Query<Params>, b: JsonObject| api::create(e, pg, q, b)),
    )
    .route(
        &one,
        web::get().to(move |pg: Page, id: Id| api::get(e, pg, id)),
    )
    .route(
        &one,
        web::patch()
            .to(move |r: HttpRequest, pg: Page, id: Id, b: JsonObject| api::patch(e, r, pg, id, b)),
    )
    .route(
        &one,
        web::delete().to(move |pg: Page, id: Id| api::delete(e, pg, id)),
    );
}

fn users(cfg: &mut web::ServiceConfig) {
    use crate::crm::users::api as u;
    cfg.route("/api/v1/users", web::get().to(u::list))
        .route("/api/v1/users/{id}", web::get().to(u::get));
    refuse_others(cfg, "/api/v1/users", u::READ_ONLY);
    refuse_others(cfg, "/api/v1/users/{id}", u::READ_ONLY);
}

fn tags(cfg: &mut web::ServiceConfig) {
    use crate::crm::tags::api as t;
    cfg.route("/api/v1/tags", web::get().to(t::list))
        .route("/api/v1/tags", web::post().to(t::create))
        .route("/api/v1/tags/{id}", web::get().to(t::get));
    refuse_others(cfg, "/api/v1/tags/{id}", t::FIXED);
}

fn followups(cfg: &mut web::ServiceConfig) {
    use crate::crm::followups::api::{activities as a, tasks as t};
    cfg.route("/api/v1/activities", web::get().to(a::list))
        .route("/api/v1/activities", web::post().to(a::create))
        .route("/api/v1/activities/{id}", web::get().to(a::get))
        .route("/api/v1/tasks", web::get().to(t::list))
        .route("/api/v1/tasks", web::post().to(t::create))
        .route("/api/v1/tasks/{id}", web::get().to(t::get))
        .route("/api/v1/tasks/{id}", web::patch().to(t::patch));
    refuse_others(cfg, "/api/v1/activities/{id}", a::LOGGED);
    refuse_others(cfg, "/api/v1/tasks/{id}", t::NOT_DELETED);
}

fn quotes(cfg: &mut web::ServiceConfig) {
    use crate::crm::quotes::api::{self as q, write};
    cfg.route("/api/v1/quotes", web::get().to(q::list))
        .route("/api/v1/quotes", web::post().to(write::create))
        .route("/api/v1/quotes/{id}", web::get().to(q::get))
        .route("/api/v1/quotes/{id}", web::patch().to(write::patch));
    refuse_others(cfg, "/api/v1/quotes/{id}", q::NOT_DELETED);
}
