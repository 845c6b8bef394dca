//! What members may do besides using models. Admins may do everything.

use axum::Json;
use axum::extract::State;
use mlx_manager_core::domain::Permissions;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// The permissions of members (approved users who are not admins). Each is off until an admin
/// turns it on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermissionsResponse {
    /// Members may start downloads, pause, resume and cancel the downloads they asked for, and
    /// delete models from the shared cache. Off: only admins manage models.
    pub members_manage_models: bool,
}

/// Every permission's new value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UpdatePermissionsRequest {
    /// See [`PermissionsResponse::members_manage_models`].
    pub members_manage_models: bool,
}

impl From<Permissions> for PermissionsResponse {
    fn from(p: Permissions) -> Self {
        Self {
            members_manage_models: p.members_manage_models,
        }
    }
}

impl From<UpdatePermissionsRequest> for Permissions {
    fn from(body: UpdatePermissionsRequest) -> Self {
        Self {
            members_manage_models: body.members_manage_models,
        }
    }
}

/// What members may do. Admin only.
#[utoipa::path(
    get,
    path = "/api/settings/permissions",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "The permissions", body = PermissionsResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn get_permissions(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<PermissionsResponse>, ApiError> {
    Ok(Json(state.permissions.view(&admin.user).await?.into()))
}

/// Sets what members may do (kept across restarts); returns the new state. Admin only.
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
    let permissions = state.permissions.update(&admin.user, body.into()).await?;
    tracing::info!(
        admin = admin.user.id,
        members_manage_models = permissions.members_manage_models,
        "permissions changed"
    );
    Ok(Json(permissions.into()))
}
