//! The model pool's settings: memory limit, model count, default keep-alive, batch size, queue
//! bounds.
//! Admin only; kept across restarts and applied at once.

use axum::Json;
use axum::extract::State;
use mlx_manager_core::domain::PoolSettingsDraft;
use mlx_manager_serving::PoolSettingsView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::json::ApiJson;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PoolSettingsResponse {
    /// The limit set; null = the machine's default budget.
    pub memory_limit_bytes: Option<u64>,
    /// The limit in force.
    pub effective_memory_limit_bytes: u64,
    /// 75 % of physical memory (MLX's recommended working set on a Mac's GPU).
    pub default_memory_limit_bytes: u64,
    pub max_loaded_models: u32,
    /// For profiles (and requests) that set none: -1 = keep loaded, 0 = unload after each
    /// answer.
    pub default_keep_alive_secs: i64,
    pub max_queued_requests: u32,
    /// Requests one model decodes together.
    pub max_batch_size: u32,
    pub queue_timeout_secs: u32,
}

/// Every setting's new value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdatePoolSettingsRequest {
    /// 64 MiB to the machine's memory; null = the default budget.
    pub memory_limit_bytes: Option<i64>,
    /// 1–64.
    pub max_loaded_models: i64,
    /// -1, 0, or 1 to 31 536 000 seconds.
    pub default_keep_alive_secs: i64,
    /// 0–10 000 waiting requests per model (beyond: 429).
    pub max_queued_requests: i64,
    /// 1–64 requests one model decodes together (continuous batching); more wait their turn.
    pub max_batch_size: i64,
    /// 1–3 600 seconds a request may wait for its turn (beyond: 503).
    pub queue_timeout_secs: i64,
}

impl From<PoolSettingsView> for PoolSettingsResponse {
    fn from(view: PoolSettingsView) -> Self {
        let s = view.settings;
        Self {
            memory_limit_bytes: s.memory_limit_bytes,
            effective_memory_limit_bytes: view.effective_memory_limit_bytes,
            default_memory_limit_bytes: view.default_memory_limit_bytes,
            max_loaded_models: s.max_loaded_models,
            default_keep_alive_secs: s.default_keep_alive.as_secs(),
            max_queued_requests: s.max_queued_requests,
            max_batch_size: s.max_batch_size,
            queue_timeout_secs: s.queue_timeout_secs,
        }
    }
}

impl From<UpdatePoolSettingsRequest> for PoolSettingsDraft {
    fn from(body: UpdatePoolSettingsRequest) -> Self {
        Self {
            memory_limit_bytes: body.memory_limit_bytes,
            max_loaded_models: body.max_loaded_models,
            default_keep_alive_secs: body.default_keep_alive_secs,
            max_queued_requests: body.max_queued_requests,
            max_batch_size: body.max_batch_size,
            queue_timeout_secs: body.queue_timeout_secs,
        }
    }
}

/// The pool's settings. Admin only.
#[utoipa::path(
    get,
    path = "/api/settings/pool",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "The settings", body = PoolSettingsResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn get_pool_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<PoolSettingsResponse>, ApiError> {
    Ok(Json(state.serving.pool_settings(&admin.user).await?.into()))
}

/// Sets the pool's settings (kept across restarts) and applies them at once: a lower limit
/// evicts idle models now. Admin only.
#[utoipa::path(
    put,
    path = "/api/settings/pool",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    request_body = UpdatePoolSettingsRequest,
    responses(
        (status = 200, description = "The new settings", body = PoolSettingsResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn update_pool_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<UpdatePoolSettingsRequest>,
) -> Result<Json<PoolSettingsResponse>, ApiError> {
    let view = state
        .serving
        .update_pool_settings(&admin.user, body.into())
        .await?;
    tracing::info!(
        admin = admin.user.id,
        limit = view.effective_memory_limit_bytes,
        "pool settings changed"
    );
    Ok(Json(view.into()))
}
