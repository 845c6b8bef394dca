//! MLX Manager's HTTP API: axum routers documented with utoipa, so routes and spec cannot drift.
//!
//! This is the only crate that knows HTTP; it maps every lower layer's errors to responses:
//! `application/problem+json` on `/api`, and per router the OpenAI or Anthropic error bodies
//! (see [`ErrorShape`]). Handlers parse the request, call one service method, render.

mod app;
mod client_address;
mod error;
mod extract;
mod hygiene;
mod json;
mod metrics;
mod middleware;
mod openapi;
mod problem;
mod routes;
mod state;
mod usage;

/// The request and response bodies of every route, for Rust clients, tests and embedders
/// (serde both ways; the same types the spec is generated from).
pub mod dto {
    pub use crate::routes::auth::dto::*;
    pub use crate::routes::health::{DatabaseHealth, Health};
    pub use crate::routes::models::dto::*;
}

pub use app::{app, app_with_frontend, metrics_app};
pub use error::{ApiError, ErrorShape, ErrorSummary, reshape_errors};
pub use extract::{AdminUser, CurrentUser};
pub use json::ApiJson;
pub use openapi::openapi;
pub use problem::{FieldError, Problem};
pub use state::AppState;
