//! Casewire's HTTP edge: the JSON API under `/v1` (authenticated by the firm's API key),
//! the staff web dashboard (HTML for signed-in staff users), the Twilio webhooks,
//! `/healthz`, `/readyz`, `/metrics` and `/openapi.json`, as one axum [`Router`]. The only place that knows JSON and HTTP status codes.
//!
//! [`router`] takes the state and returns the router, so tests call it with
//! `tower::ServiceExt::oneshot` and no socket.

mod api;
mod error;
mod extract;
mod metrics;
mod openapi;
mod ops;
mod web;
mod webhooks;

use std::sync::Arc;

use axum::{
    Router,
    routing::{get, patch, post},
};
use casewire_app::{App, Ingest};

pub use error::{ApiError, ApiResult};
pub use metrics::Metrics;
pub use web::LiveStreams;
pub use webhooks::TwilioWebhooks;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The use-cases.
    pub app: App,
    /// Twilio webhook validation, when Twilio is the provider. Without it the webhook
    /// routes answer 404.
    pub twilio: Option<Arc<TwilioWebhooks>>,
    /// The group-commit front of inbound texts (webhooks go through it); `None` where no
    /// webhooks are served (the worker's listener).
    pub ingest: Option<Ingest>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
}

/// The worker's small HTTP listener: `/healthz`, `/readyz` and `/metrics`.
pub fn worker_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .with_state(state)
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    router_with_live(state, LiveStreams::default())
}

/// The whole HTTP surface, with the handle that ends the web dashboard's live streams
/// when the server shuts down (call [`LiveStreams::close`] when the shutdown signal
/// comes, or graceful shutdown waits for them).
pub fn router_with_live(state: AppState, live: LiveStreams) -> Router {
    let v1 = Router::new()
        .route("/cases", post(api::cases::create).get(api::cases::list))
        .route(
            "/cases/{case_id}",
            get(api::cases::get).patch(api::cases::update),
        )
        .route(
            "/cases/{case_id}/debtors/{debtor_id}/phones",
            post(api::cases::add_phone),
        )
        .route(
            "/cases/{case_id}/phones/{phone_id}",
            patch(api::cases::update_phone).delete(api::cases::remove_phone),
        )
        .route(
            "/cases/{case_id}/messages",
            post(api::messages::send).get(api::messages::thread),
        )
        .route(
            "/cases/{case_id}/texting",
            get(api::cases::texting).patch(api::cases::set_texting),
        )
        .route(
            "/cases/{case_id}/events",
            post(api::events::create).get(api::events::list),
        )
        .route(
            "/cases/{case_id}/events/{event_id}",
            patch(api::events::update).delete(api::events::cancel),
        )
        .route("/cases/{case_id}/reminders", get(api::events::reminders))
        .route("/firm", get(api::firm::get).patch(api::firm::update))
        .route(
            "/firm/recipes",
            get(api::firm::recipes).post(api::firm::create_recipe),
        )
        .route(
            "/firm/recipes/{recipe_id}",
            get(api::firm::recipe)
                .patch(api::firm::update_recipe)
                .delete(api::firm::delete_recipe),
        )
        .route("/lint", post(api::messages::lint))
        .route(
            "/consent/{phone}",
            get(api::consent::get).post(api::consent::record),
        )
        .route("/inbox/unmatched", get(api::messages::unmatched))
        .route(
            "/inbox/unmatched/{message_id}/attach",
            post(api::messages::attach),
        );
    let web = web::routes(&state, live);
    Router::new()
        .nest("/v1", v1)
        .merge(web)
        .route("/webhooks/twilio/messages", post(webhooks::inbound))
        .route("/webhooks/twilio/status", post(webhooks::status))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi::document))
        .fallback(ops::not_found)
        .with_state(state)
}
