//! Deal pages beyond the records engine's: the board with its stage moves, the forecast, the
//! deal panel of the 360° pages, and the pipeline editor.

mod board;
mod cards;
mod forecast;
mod panel;
mod pipelines;

pub use panel::{customer_deals, deal_panel};

use actix_web::web;

/// The routes; registered before the deals' record routes so `/deals/board` is not an id.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/deals/board", web::get().to(board::board))
        .route("/deals/forecast", web::get().to(forecast::forecast))
        .route("/deals/{id}/stage", web::post().to(board::move_deal))
        .route("/admin/pipelines", web::get().to(pipelines::list))
        .route(
            "/admin/pipelines/lost-reasons",
            web::post().to(pipelines::save_reasons),
        )
        .route("/admin/pipelines/new", web::get().to(pipelines::new_form))
        .route("/admin/pipelines/new", web::post().to(pipelines::create))
        .route("/admin/pipelines/{id}", web::get().to(pipelines::edit_form))
        .route("/admin/pipelines/{id}", web::post().to(pipelines::update));
}

/// How many cards a board column shows; the rest are on the list filtered by stage.
const COLUMN_CARDS: usize = 20;
