//! Quotas on the model API: the members' default (`/api/settings/quotas`) and each user's own
//! limits (`/api/auth/users/{user_id}/quota`). Admin only.

use axum::Json;
use axum::extract::{Path, State};
use mlx_manager_core::domain::{EffectiveQuota, QuotaLimits};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// Limits on `/v1` use; null is no limit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaLimitsBody {
    /// Requests of any kind to `/v1` in any 60 seconds (≥ 1).
    pub requests_per_minute: Option<u64>,
    /// Generated tokens in any 24 hours (≥ 1); generations are refused beyond it.
    pub tokens_per_day: Option<u64>,
}

impl QuotaLimitsBody {
    fn parse(self) -> Result<QuotaLimits, ApiError> {
        QuotaLimits::parse(self.requests_per_minute, self.tokens_per_day)
            .map_err(|fields| mlx_manager_core::CoreError::InvalidFields(fields).into())
    }
}

impl From<QuotaLimits> for QuotaLimitsBody {
    fn from(limits: QuotaLimits) -> Self {
        Self {
            requests_per_minute: limits.requests_per_minute.map(u64::from),
            tokens_per_day: limits.tokens_per_day,
        }
    }
}

/// A user's limits and where they come from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaResponse {
    pub requests_per_minute: Option<u64>,
    pub tokens_per_day: Option<u64>,
    /// `user` (limits of their own), `members_default`, or `none` (an admin without limits of
    /// their own).
    pub source: String,
}

impl From<EffectiveQuota> for QuotaResponse {
    fn from(quota: EffectiveQuota) -> Self {
        let limits = QuotaLimitsBody::from(quota.limits);
        Self {
            requests_per_minute: limits.requests_per_minute,
            tokens_per_day: limits.tokens_per_day,
            source: quota.source.as_str().to_string(),
        }
    }
}

/// The limits of members without limits of their own. Admin only.
#[utoipa::path(
    get,
    path = "/api/settings/quotas",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "The members' default", body = QuotaLimitsBody),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn get_default_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<QuotaLimitsBody>, ApiError> {
    Ok(Json(
        state.quotas.members_default(&admin.user).await?.into(),
    ))
}

/// Sets the members' default (both limits; null or left out: no limit). Admin only.
#[utoipa::path(
    put,
    path = "/api/settings/quotas",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    request_body = QuotaLimitsBody,
    responses(
        (status = 200, description = "The new default", body = QuotaLimitsBody),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn set_default_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<QuotaLimitsBody>,
) -> Result<Json<QuotaLimitsBody>, ApiError> {
    let limits = state
        .quotas
        .set_members_default(&admin.user, body.parse()?)
        .await?;
    tracing::info!(admin = admin.user.id, ?limits, "members' quota changed");
    Ok(Json(limits.into()))
}

/// The limits that apply to a user. Admin only.
#[utoipa::path(
    get,
    path = "/api/auth/users/{user_id}/quota",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user's limits", body = QuotaResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn get_user_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
) -> Result<Json<QuotaResponse>, ApiError> {
    Ok(Json(
        state.quotas.for_user(&admin.user, user_id).await?.into(),
    ))
}

/// Gives a user limits of their own, replacing the members' default for them (null: no
/// limit). Admin only.
#[utoipa::path(
    put,
    path = "/api/auth/users/{user_id}/quota",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    request_body = QuotaLimitsBody,
    responses(
        (status = 200, description = "The user's limits", body = QuotaResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
    ),
)]
pub async fn set_user_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
    ApiJson(body): ApiJson<QuotaLimitsBody>,
) -> Result<Json<QuotaResponse>, ApiError> {
    let limits = body.parse()?;
    let quota = state
        .quotas
        .set_for_user(&admin.user, user_id, limits)
        .await?;
    tracing::info!(
        admin = admin.user.id,
        user_id,
        ?limits,
        "user's quota changed"
    );
    Ok(Json(quota.into()))
}

/// Returns a user to the members' default. Admin only.
#[utoipa::path(
    delete,
    path = "/api/auth/users/{user_id}/quota",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The limits that apply now", body = QuotaResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn clear_user_quota(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
) -> Result<Json<QuotaResponse>, ApiError> {
    let quota = state.quotas.clear_for_user(&admin.user, user_id).await?;
    tracing::info!(admin = admin.user.id, user_id, "user's quota cleared");
    Ok(Json(quota.into()))
}
