//! Download jobs: start, list, inspect, pause, resume, cancel.
//!
//! Anyone signed in sees every job; starting one needs an admin or, while
//! `members_manage_models` is on, a member, who then controls only their own jobs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mlx_manager_core::domain::{RepoId, Revision};

use super::dto::{DownloadRequest, DownloadResponse};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// Starts downloading a model into the cache, or returns its open download. The job runs on
/// the server whether or not anyone watches, and survives restarts. Admins, or members while
/// `members_manage_models` is on.
#[utoipa::path(
    post,
    path = "/api/models/download",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    request_body = DownloadRequest,
    responses(
        (status = 202, description = "Started", body = DownloadResponse),
        (status = 200, description = "A download of this model is already open", body = DownloadResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Invalid,
        problems::Unavailable,
    ),
)]
pub async fn start_download(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<DownloadRequest>,
) -> Result<(StatusCode, Json<DownloadResponse>), ApiError> {
    let repo_id = RepoId::parse(&body.model_id)?;
    let revision = Revision::parse_or_default(body.revision.as_deref())?;
    let (snapshot, created) = state
        .hub
        .start_download(&principal.user, &repo_id, &revision)
        .await?;
    if created {
        tracing::info!(model = %repo_id, download = snapshot.id, user = principal.user.id, "download requested");
    }
    let status = if created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(snapshot.into())))
}

/// Open downloads and the 50 most recent ones, newest first.
#[utoipa::path(
    get,
    path = "/api/models/downloads",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Downloads", body = Vec<DownloadResponse>),
        problems::Unauthorized,
    ),
)]
pub async fn list_downloads(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<DownloadResponse>>, ApiError> {
    let list = state.hub.downloads().list().await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// One download and its progress.
#[utoipa::path(
    get,
    path = "/api/models/downloads/{id}",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "The download", body = DownloadResponse),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn get_download(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<DownloadResponse>, ApiError> {
    Ok(Json(state.hub.downloads().get(id).await?.into()))
}

/// Pauses a queued or running download; its partial data is kept. Admins any; members with
/// `members_manage_models` their own.
#[utoipa::path(
    post,
    path = "/api/models/downloads/{id}/pause",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "Paused", body = DownloadResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn pause_download(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<DownloadResponse>, ApiError> {
    let snapshot = state.hub.pause_download(&principal.user, id).await?;
    Ok(Json(snapshot.into()))
}

/// Resumes a paused or failed download from its partial data. Admins any; members with
/// `members_manage_models` their own.
#[utoipa::path(
    post,
    path = "/api/models/downloads/{id}/resume",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "Queued again", body = DownloadResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
        problems::Unavailable,
    ),
)]
pub async fn resume_download(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<DownloadResponse>, ApiError> {
    let snapshot = state.hub.resume_download(&principal.user, id).await?;
    Ok(Json(snapshot.into()))
}

/// Cancels a download and removes its partial data (blobs other snapshots use are kept).
/// Admins any; members with `members_manage_models` their own.
#[utoipa::path(
    post,
    path = "/api/models/downloads/{id}/cancel",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "Cancelled", body = DownloadResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn cancel_download(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(id): Path<i32>,
) -> Result<Json<DownloadResponse>, ApiError> {
    let snapshot = state.hub.cancel_download(&principal.user, id).await?;
    Ok(Json(snapshot.into()))
}
