//! `/api/chats`: the web UI's conversations, each private to the user who made it — another
//! user, an admin included, gets 404.

pub mod dto;
mod handlers;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_chats, handlers::create_chat))
        .routes(routes!(
            handlers::get_chat,
            handlers::patch_chat,
            handlers::delete_chat
        ))
        .routes(routes!(
            handlers::append_messages,
            handlers::truncate_messages
        ))
}
