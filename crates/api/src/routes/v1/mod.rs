//! The model API under `/v1`: what OpenAI- and Anthropic-compatible clients call. Every route
//! needs an API key or an access token, and every error — authentication's included — is the
//! error object of the route's protocol, because the official clients parse it.

mod answer;
pub mod anthropic_errors;
pub mod chat;
pub mod completions;
pub mod embeddings;
pub mod errors;
pub mod logprobs;
pub mod messages;
pub mod models;
mod sampling;
mod sse;

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
        .routes(routes!(completions::completions))
        .routes(routes!(embeddings::embeddings))
}

/// The Anthropic-compatible routes, before authentication is put in front of them.
pub fn anthropic_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(messages::create_message))
        .routes(routes!(messages::count_tokens))
}

/// Renders the errors of `router` (authentication's included, so apply it outermost) in
/// `shape`.
pub fn with_errors(shape: ErrorShape, router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.layer(axum::middleware::from_fn_with_state(shape, reshape_errors))
}
