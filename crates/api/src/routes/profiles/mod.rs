//! `/api/profiles`: named ways to run a model. Every approved user reads them; changing them is
//! for admins, or members while `members_manage_models` is on.

pub mod dto;
mod handlers;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::list_profiles, handlers::create_profile))
        .routes(routes!(
            handlers::get_profile,
            handlers::replace_profile,
            handlers::patch_profile,
            handlers::delete_profile
        ))
        .routes(routes!(handlers::duplicate_profile))
}
