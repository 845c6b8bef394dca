//! Models in the local hub cache: list and delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mlx_manager_core::domain::RepoId;

use super::dto::{LocalModelResponse, ModelPath};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Ready models in the cache, whoever downloaded them (Python tools included). Models still
/// downloading, or with missing or partial files, are not listed.
#[utoipa::path(
    get,
    path = "/api/models/local",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Local models, by id", body = Vec<LocalModelResponse>),
        problems::Unauthorized,
    ),
)]
pub async fn list_local_models(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<LocalModelResponse>>, ApiError> {
    let models = state.hub.local_models().await?;
    Ok(Json(models.into_iter().map(Into::into).collect()))
}

/// Deletes a model from the cache: every snapshot and blob of the repository. Refused (409)
/// while a download of it is open or it is loaded. Admins, or members while `members_manage_models` is on.
#[utoipa::path(
    delete,
    path = "/api/models/{org}/{name}",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    params(ModelPath),
    responses(
        (status = 204, description = "Deleted"),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
        problems::Conflict,
    ),
)]
pub async fn delete_local_model(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(path): Path<ModelPath>,
) -> Result<StatusCode, ApiError> {
    let repo_id = RepoId::from_parts(&path.org, &path.name)?;
    state
        .serving
        .delete_model(&principal.user, &repo_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
