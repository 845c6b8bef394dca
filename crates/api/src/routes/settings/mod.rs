//! `/api/settings`: what admins decide for everyone (the permissions of members, the model
//! pool's settings, the members' quota, the Hugging Face token).

mod huggingface;
mod permissions;
mod pool;
pub(crate) mod quotas;

pub(crate) use quotas::QuotaResponse;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            permissions::get_permissions,
            permissions::update_permissions
        ))
        .routes(routes!(pool::get_pool_settings, pool::update_pool_settings))
        .routes(routes!(
            quotas::get_default_quota,
            quotas::set_default_quota
        ))
        .routes(routes!(
            huggingface::get_hub_token,
            huggingface::store_hub_token,
            huggingface::delete_hub_token
        ))
        .routes(routes!(huggingface::test_hub_token))
}
