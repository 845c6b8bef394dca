//! One module per resource; each handler parses, calls the domain, and maps the result.
//!
//! Deny by default: a route is public only if it is listed in [`public_routes`]; everything in
//! [`protected_routes`] sits behind the authentication middleware.

pub mod auth;
pub mod chats;
pub mod health;
pub mod models;
pub mod profiles;
pub mod servers;
pub mod settings;
pub mod system;
pub mod v1;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The explicit allow-list of `/api` routes callable without credentials.
pub fn public_routes() -> OpenApiRouter<AppState> {
    auth::public_routes()
}

/// Every other `/api` route.
pub fn protected_routes() -> OpenApiRouter<AppState> {
    auth::protected_routes()
        .merge(models::protected_routes())
        .merge(profiles::protected_routes())
        .merge(chats::protected_routes())
        .merge(system::protected_routes())
        .merge(servers::protected_routes())
        .merge(settings::protected_routes())
}
