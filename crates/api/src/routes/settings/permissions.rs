//! What members may do besides using loaded models. Admins may do everything.

use axum::Json;
use axum::extract::State;
use mlx_manager_core::domain::Permissions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::{AdminUser, CurrentUser};
use crate::json::ApiJson;
use crate::state::AppState;

/// The permissions of members (approved users who are not admins).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermissionsResponse {
    /// Members may start downloads, pause, resume and cancel the downloads they asked for,
    /// delete models from the shared cache, change profiles and start and stop models. Off (the
    /// default): only admins manage models.
    pub members_manage_models: bool,
    /// Members' model API (`/v1`) requests may load a model that is not loaded yet, within the
    /// pool's memory budget. On by default; off: members only use models already loaded.
    pub members_load_models: bool,
}

/// New values; a permission left out keeps its current value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdatePermissionsRequest {
    /// See [`PermissionsResponse::members_manage_models`].
    pub members_manage_models: Option<bool>,
    /// See [`PermissionsResponse::members_load_models`].
    pub members_load_models: Option<bool>,
}

impl From<Permissions> for PermissionsResponse {
    fn from(p: Permissions) -> Self {
        Self {
            members_manage_models: p.members_manage_models,
            members_load_models: p.members_load_models,
        }
    }
}

impl UpdatePermissionsRequest {
    fn applied_to(self, current: Permissions) -> Permissions {
        Permissions {
            members_manage_models: self
                .members_manage_models
                .unwrap_or(current.members_manage_models),
            members_load_models: self
                .members_load_models
                .unwrap_or(current.members_load_models),
        }
    }
}

/// What members may do. Every signed-in user may read it (the UI explains what is off and
/// why); only admins change it.
#[utoipa::path(
    get,
    path = "/api/settings/permissions",
    tag = "settings",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The permissions", body = PermissionsResponse),
        problems::Unauthorized,
    ),
)]
pub async fn get_permissions(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<PermissionsResponse>, ApiError> {
    Ok(Json(state.permissions.view().await?.into()))
}

/// Sets what members may do (kept across restarts); returns the new state. Admin only.
/// Permissions left out of the body keep their values.
#[utoipa::path(
    put,
    path = "/api/settings/permissions",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    request_body = UpdatePermissionsRequest,
    responses(
        (status = 200, description = "The new permissions", body = PermissionsResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn update_permissions(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<UpdatePermissionsRequest>,
) -> Result<Json<PermissionsResponse>, ApiError> {
    let current = state.permissions.view().await?;
    let permissions = state
        .permissions
        .update(&admin.user, body.applied_to(current))
        .await?;
    tracing::info!(
        admin = admin.user.id,
        members_manage_models = permissions.members_manage_models,
        members_load_models = permissions.members_load_models,
        "permissions changed"
    );
    Ok(Json(permissions.into()))
}
