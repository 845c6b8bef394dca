//! `/api/auth`: registration, sessions, user administration (quotas included), API keys, the caller's usage.

mod api_keys;
pub mod dto;
mod public;
mod session;
mod usage;
mod users;

pub(crate) use dto::rfc3339;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes anyone may call.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public::register))
        .routes(routes!(public::login))
        .routes(routes!(public::setup_status))
}

/// Routes that need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::me))
        .routes(routes!(usage::my_usage))
        .routes(routes!(session::logout))
        .routes(routes!(session::change_password))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::pending_count))
        .routes(routes!(
            users::update_user,
            users::patch_user,
            users::delete_user
        ))
        .routes(routes!(users::reset_password))
        .routes(routes!(users::revoke_sessions))
        .routes(routes!(users::list_user_api_keys))
        .routes(routes!(users::revoke_user_api_key))
        .routes(routes!(
            crate::routes::settings::quotas::get_user_quota,
            crate::routes::settings::quotas::set_user_quota,
            crate::routes::settings::quotas::clear_user_quota
        ))
        .routes(routes!(api_keys::create_api_key, api_keys::list_api_keys))
        .routes(routes!(api_keys::revoke_api_key))
}
