//! The model API under `/v1`: what OpenAI-compatible clients call. Every route needs an API key
//! or an access token, and every error — authentication's included — is the OpenAI error
//! object, because the official clients parse it.

pub mod chat;
pub mod errors;
pub mod models;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorShape, reshape_errors};
use crate::state::AppState;

/// Where the model API lives.
pub const PREFIX: &str = "/v1";

/// The OpenAI-compatible routes, before authentication is put in front of them.
pub fn openai_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models::list_models))
        .routes(routes!(models::get_model))
        .routes(routes!(models::get_repo_model))
        .routes(routes!(chat::chat_completions))
}

/// Renders the errors of `router` (authentication's included, so apply it outermost) as the
/// OpenAI error object.
pub fn with_openai_errors(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.layer(axum::middleware::from_fn_with_state(
        ErrorShape::OpenAi,
        reshape_errors,
    ))
}
