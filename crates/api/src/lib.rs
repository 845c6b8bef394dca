//! MLX Manager's HTTP API: axum routers documented with utoipa, so routes and spec cannot drift.
//!
//! This is the only crate that knows HTTP; it maps every lower layer's errors to responses:
//! `application/problem+json` on `/api`, and per router the OpenAI or Anthropic error bodies
//! (see [`ErrorShape`]). Handlers parse the request, call one service method, render.

mod app;
mod error;
mod extract;
mod json;
mod middleware;
mod openapi;
mod problem;
mod routes;
mod state;

pub use app::{app, app_with_frontend};
pub use error::{ApiError, ErrorShape, ErrorSummary, reshape_errors};
pub use extract::{AdminUser, CurrentUser};
pub use json::ApiJson;
pub use openapi::openapi;
pub use problem::{FieldError, Problem};
pub use state::AppState;
