//! The profile handlers: parse, one serving call, render.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::dto::{DuplicateProfileRequest, ProfilePatchRequest, ProfileRequest, ProfileResponse};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// Every profile, by name, each saying whether its model is downloaded.
#[utoipa::path(
    get,
    path = "/api/profiles",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Profiles", body = Vec<ProfileResponse>),
        problems::Unauthorized,
    ),
)]
pub async fn list_profiles(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<ProfileResponse>>, ApiError> {
    let profiles = state.serving.list_profiles().await?;
    Ok(Json(profiles.into_iter().map(Into::into).collect()))
}

#[utoipa::path(
    get,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn get_profile(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<ProfileResponse>, ApiError> {
    Ok(Json(state.serving.get_profile(id).await?.into()))
}

/// Creates a profile. 409 when the name is taken (in any case); 422 naming every invalid
/// field. Admins, or members while `members_manage_models` is on.
#[utoipa::path(
    post,
    path = "/api/profiles",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ProfileRequest,
    responses(
        (status = 201, description = "Created", body = ProfileResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn create_profile(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<ProfileRequest>,
) -> Result<(StatusCode, Json<ProfileResponse>), ApiError> {
    let view = state
        .serving
        .create_profile(&principal.user, body.into())
        .await?;
    tracing::info!(
        profile = view.profile.id,
        user = principal.user.id,
        "profile created"
    );
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Replaces everything a user sets on a profile (absent optional fields become null).
#[utoipa::path(
    put,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The new profile", body = ProfileResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn replace_profile(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<ProfileRequest>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let view = state
        .serving
        .replace_profile(&principal.user, id, body.into())
        .await?;
    Ok(Json(view.into()))
}

/// Changes the fields present; `null` clears a nullable one.
#[utoipa::path(
    patch,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    request_body = ProfilePatchRequest,
    responses(
        (status = 200, description = "The new profile", body = ProfileResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn patch_profile(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<ProfilePatchRequest>,
) -> Result<Json<ProfileResponse>, ApiError> {
    let view = state
        .serving
        .patch_profile(&principal.user, id, body.into())
        .await?;
    Ok(Json(view.into()))
}

/// Deletes a profile; its model is stopped first when it is loaded and no other profile
/// uses it.
#[utoipa::path(
    delete,
    path = "/api/profiles/{id}",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 204, description = "Deleted"),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
    ),
)]
pub async fn delete_profile(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.serving.delete_profile(&principal.user, id).await?;
    tracing::info!(profile = id, user = principal.user.id, "profile deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Copies a profile under a new name; the copy does not auto-start.
#[utoipa::path(
    post,
    path = "/api/profiles/{id}/duplicate",
    tag = "profiles",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    request_body = DuplicateProfileRequest,
    responses(
        (status = 201, description = "The copy", body = ProfileResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn duplicate_profile(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
    ApiJson(body): ApiJson<DuplicateProfileRequest>,
) -> Result<(StatusCode, Json<ProfileResponse>), ApiError> {
    let view = state
        .serving
        .duplicate_profile(&principal.user, id, &body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}
