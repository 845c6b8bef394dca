//! `/api/servers`: profiles whose model is loaded — start, stop, restart, status, health,
//! memory and live events. Every approved user watches them; starting and stopping is for
//! admins, or members while `members_manage_models` is on.

pub mod dto;
mod events;
mod handlers;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_servers))
        .routes(routes!(handlers::server_memory))
        .routes(routes!(events::server_events))
        .routes(routes!(handlers::start_server))
        .routes(routes!(handlers::stop_server))
        .routes(routes!(handlers::restart_server))
        .routes(routes!(handlers::server_status))
        .routes(routes!(handlers::server_health))
}
