//! User administration (admins only). At least one approved admin always remains.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mlx_manager_auth::UserEdit;

use super::dto::{
    ApiKeyResponse, CreateUserRequest, ListUsersQuery, MessageResponse, PendingCountResponse,
    ResetPasswordRequest, UpdateUserRequest, UserPublic,
};
use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// Users, newest first. Admin only.
#[utoipa::path(
    get,
    path = "/api/auth/users",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "Users", body = Vec<UserPublic>),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn list_users(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Query(query): Query<ListUsersQuery>,
) -> Result<Json<Vec<UserPublic>>, ApiError> {
    let users = state.auth.list_users(query.status.map(Into::into)).await?;
    Ok(Json(users.into_iter().map(UserPublic::from).collect()))
}

/// How many users wait for approval, and whether that is near the cap at which registration
/// closes (then `warning` says so). Admin only.
#[utoipa::path(
    get,
    path = "/api/auth/users/pending/count",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "Pending users", body = PendingCountResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn pending_count(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<PendingCountResponse>, ApiError> {
    let summary = state.auth.pending_summary().await?;
    let warning = match summary.limit {
        Some(limit) if !summary.registration_open => Some(format!(
            "Registration is closed: {} accounts are waiting for approval (the limit is {limit}). \
             Approve or delete pending accounts to reopen it; many at once may be a mass \
             registration.",
            summary.count
        )),
        Some(limit) if summary.near_limit => Some(format!(
            "{} accounts are waiting for approval; registration closes at {limit}. Many at once \
             may be a mass registration.",
            summary.count
        )),
        _ => None,
    };
    Ok(Json(PendingCountResponse {
        count: summary.count,
        limit: summary.limit,
        near_limit: summary.near_limit,
        registration_open: summary.registration_open,
        warning,
    }))
}

/// Creates an approved user. Admin only.
#[utoipa::path(
    post,
    path = "/api/auth/users",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserPublic),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Conflict,
        problems::Invalid,
    ),
)]
pub async fn create_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserPublic>), ApiError> {
    let user = state
        .auth
        .create_user(&admin.user, &body.email, &body.password, body.is_admin)
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Changes a user's e-mail, role or status (approve, disable, enable). Refused with 409
/// when it would leave no approved admin. Admin only.
#[utoipa::path(
    put,
    path = "/api/auth/users/{user_id}",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserPublic),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<Json<UserPublic>, ApiError> {
    let edit = UserEdit {
        email: body.email,
        is_admin: body.is_admin,
        status: body.status.map(Into::into),
    };
    let user = state.auth.edit_user(&admin.user, user_id, edit).await?;
    Ok(Json(user.into()))
}

/// The same as `PUT`: every field is optional, so both methods apply a partial update.
#[utoipa::path(
    patch,
    path = "/api/auth/users/{user_id}",
    operation_id = "patch_user",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "Updated", body = UserPublic),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn patch_user(
    state: State<AppState>,
    admin: AdminUser,
    user_id: Path<i32>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<Json<UserPublic>, ApiError> {
    update_user(state, admin, user_id, body).await
}

/// Deletes a user with their API keys and sessions. Refused with 409 for the last approved
/// admin. Admin only.
#[utoipa::path(
    delete,
    path = "/api/auth/users/{user_id}",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn delete_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.auth.delete_user(&admin.user, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password for a user, ends all their sessions and revokes all their API keys, so
/// that nothing issued before the reset still works. Admin only.
#[utoipa::path(
    post,
    path = "/api/auth/users/{user_id}/reset-password",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password set; sessions ended, API keys revoked", body = MessageResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
    ),
)]
pub async fn reset_password(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
    ApiJson(body): ApiJson<ResetPasswordRequest>,
) -> Result<Json<MessageResponse>, ApiError> {
    state
        .auth
        .reset_password(&admin.user, user_id, &body.password)
        .await?;
    Ok(Json(MessageResponse {
        message: "password reset; the user's sessions were ended and their API keys revoked".into(),
    }))
}

/// Ends every session of a user and revokes all their API keys: their tokens and keys stop
/// working at once. Admin only.
#[utoipa::path(
    post,
    path = "/api/auth/users/{user_id}/revoke-sessions",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Sessions ended, API keys revoked", body = MessageResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(user_id): Path<i32>,
) -> Result<Json<MessageResponse>, ApiError> {
    state.auth.revoke_sessions(&admin.user, user_id).await?;
    Ok(Json(MessageResponse {
        message: "the user's sessions were ended and their API keys revoked".into(),
    }))
}

/// A user's API keys, newest first (never the keys themselves). Admin only.
#[utoipa::path(
    get,
    path = "/api/auth/users/{user_id}/api-keys",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user's keys, newest first", body = Vec<ApiKeyResponse>),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn list_user_api_keys(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    Path(user_id): Path<i32>,
) -> Result<Json<Vec<ApiKeyResponse>>, ApiError> {
    let keys = state.auth.list_user_api_keys(user_id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyResponse::from).collect()))
}

/// Revokes one of a user's API keys: it stops working at once. Admin only.
#[utoipa::path(
    delete,
    path = "/api/auth/users/{user_id}/api-keys/{key_id}",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(
        ("user_id" = i32, Path, description = "The user's id"),
        ("key_id" = i32, Path, description = "The key's id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn revoke_user_api_key(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path((user_id, key_id)): Path<(i32, i32)>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .revoke_user_api_key(&admin.user, user_id, key_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
