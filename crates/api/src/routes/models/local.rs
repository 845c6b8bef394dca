//! Models in the local hub cache: list and delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mlx_manager_core::hub::{RepoId, local_models};

use super::dto::LocalModelResponse;
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::problem::Problem;
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
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list_local_models(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<LocalModelResponse>>, ApiError> {
    let cache = state.downloads.engine().cache.clone();
    let models = tokio::task::spawn_blocking(move || local_models(&cache))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("cannot read the hub cache: {e}")))?;
    let listed = models
        .into_iter()
        .filter(|m| m.ready && !state.downloads.is_downloading(&m.repo_id))
        .map(Into::into)
        .collect();
    Ok(Json(listed))
}

/// Deletes a model from the cache: every snapshot and blob of the repository.
#[utoipa::path(
    delete,
    path = "/api/models/{org}/{name}",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    params(("org" = String, Path), ("name" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the cache", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A download of it is open; cancel it first", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_local_model(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path((org, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let repo_id = RepoId::parse(&format!("{org}/{name}"))?;
    if state.downloads.has_open_job(&repo_id).await? {
        return Err(ApiError::Conflict(format!(
            "{repo_id} has an open download; cancel it first"
        )));
    }
    let repo = state.downloads.engine().cache.repo(&repo_id);
    if !repo.exists() {
        return Err(ApiError::NotFound(format!(
            "{repo_id} is not in the local cache"
        )));
    }
    tokio::task::spawn_blocking(move || repo.remove_all())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(format!("cannot delete {repo_id}: {e}")))?;
    tracing::info!(model = %repo_id, "model deleted from the cache");
    Ok(StatusCode::NO_CONTENT)
}
