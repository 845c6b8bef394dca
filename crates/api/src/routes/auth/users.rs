//! User administration (admins only). At least one approved admin always remains.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mlx_manager_auth::UserEdit;

use super::dto::{
    CountResponse, CreateUserRequest, ListUsersQuery, MessageResponse, ResetPasswordRequest,
    UpdateUserRequest, UserPublic,
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

/// How many users wait for approval. Admin only.
#[utoipa::path(
    get,
    path = "/api/auth/users/pending/count",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "Pending users", body = CountResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn pending_count(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> Result<Json<CountResponse>, ApiError> {
    Ok(Json(CountResponse {
        count: state.auth.pending_count().await?,
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

/// Sets a new password for a user and ends all their sessions. Admin only.
#[utoipa::path(
    post,
    path = "/api/auth/users/{user_id}/reset-password",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password set", body = MessageResponse),
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
        message: "password reset; the user's sessions were ended".into(),
    }))
}

/// Ends every session of a user: their tokens stop working at once. Admin only.
#[utoipa::path(
    post,
    path = "/api/auth/users/{user_id}/revoke-sessions",
    tag = "users",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(("user_id" = i32, Path, description = "The user's id")),
    responses(
        (status = 200, description = "Sessions ended", body = MessageResponse),
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
        message: "the user's sessions were ended".into(),
    }))
}
