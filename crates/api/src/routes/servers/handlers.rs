//! The server handlers: parse, one serving call, render.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mlx_manager_inference::generation::pool::{ModelStatus, StartOutcome};

use super::dto::{
    HealthResponse, MemoryResponse, ServerResponse, ServerState, ServerStatusResponse,
    StartResponse, StopParams,
};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// One entry per profile whose model is in the pool (and one per model loaded without a
/// profile).
#[utoipa::path(
    get,
    path = "/api/servers",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Servers", body = Vec<ServerResponse>),
        problems::Unauthorized,
    ),
)]
pub async fn list_servers(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<Vec<ServerResponse>>, ApiError> {
    let servers = state.serving.servers().await?;
    Ok(Json(servers.into_iter().map(Into::into).collect()))
}

/// The pool's memory: its limit, what models hold, and the machine's memory.
#[utoipa::path(
    get,
    path = "/api/servers/memory",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Memory", body = MemoryResponse),
        problems::Unauthorized,
    ),
)]
pub async fn server_memory(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Json<MemoryResponse> {
    Json(state.serving.memory().into())
}

/// 202 while loading, 200 when it was loaded; the server named by its profile.
async fn start_response(
    state: &AppState,
    profile_id: i32,
    outcome: StartOutcome,
    model: ModelStatus,
) -> Result<(StatusCode, Json<StartResponse>), ApiError> {
    let profile = state.serving.get_profile(profile_id).await?.profile;
    let server = ServerResponse::new(Some((profile.id, profile.spec.name.to_string())), model);
    let (status, state) = match outcome {
        StartOutcome::AlreadyReady => (StatusCode::OK, ServerState::Ready),
        StartOutcome::Loading => (StatusCode::ACCEPTED, ServerState::Loading),
    };
    Ok((status, Json(StartResponse { state, server })))
}

/// Starts loading the profile's model in the background (202), or answers 200 when it is
/// loaded. 409 with the reason when the model is not downloaded or cannot fit (what it needs,
/// what is free, what holds the rest); 422 when the profile's context is longer than the
/// model's. Admins, or members while `members_manage_models` is on.
#[utoipa::path(
    post,
    path = "/api/servers/{profile_id}/start",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    params(("profile_id" = i32, Path)),
    responses(
        (status = 202, description = "Loading", body = StartResponse),
        (status = 200, description = "Already loaded", body = StartResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
        problems::Invalid,
    ),
)]
pub async fn start_server(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(profile_id): Path<i32>,
) -> Result<(StatusCode, Json<StartResponse>), ApiError> {
    let (outcome, model) = state
        .serving
        .start_server(&principal.user, profile_id)
        .await?;
    tracing::info!(profile = profile_id, model = %model.key, user = principal.user.id, "server start");
    start_response(&state, profile_id, outcome, model).await
}

/// Unloads the profile's model: after its running and queued requests finish, or at once with
/// `force=true` (they are cancelled). Returns once the memory is freed.
#[utoipa::path(
    post,
    path = "/api/servers/{profile_id}/stop",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    params(("profile_id" = i32, Path), StopParams),
    responses(
        (status = 204, description = "Stopped"),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
    ),
)]
pub async fn stop_server(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(profile_id): Path<i32>,
    Query(params): Query<StopParams>,
) -> Result<StatusCode, ApiError> {
    state
        .serving
        .stop_server(&principal.user, profile_id, params.force)
        .await?;
    tracing::info!(
        profile = profile_id,
        force = params.force,
        user = principal.user.id,
        "server stopped"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Unloads the profile's model and loads it again (202, loading). 409 when it is not loaded.
#[utoipa::path(
    post,
    path = "/api/servers/{profile_id}/restart",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    params(("profile_id" = i32, Path)),
    responses(
        (status = 202, description = "Loading again", body = StartResponse),
        (status = 200, description = "Ready again", body = StartResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::NotFound,
        problems::Conflict,
        problems::Invalid,
    ),
)]
pub async fn restart_server(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(profile_id): Path<i32>,
) -> Result<(StatusCode, Json<StartResponse>), ApiError> {
    let (outcome, model) = state
        .serving
        .restart_server(&principal.user, profile_id)
        .await?;
    start_response(&state, profile_id, outcome, model).await
}

/// The profile's server: `stopped`, or its state with load progress or the failure.
#[utoipa::path(
    get,
    path = "/api/servers/{profile_id}/status",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    params(("profile_id" = i32, Path)),
    responses(
        (status = 200, description = "Status", body = ServerStatusResponse),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn server_status(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(profile_id): Path<i32>,
) -> Result<Json<ServerStatusResponse>, ApiError> {
    let model = state.serving.server_status(profile_id).await?;
    let profile = state.serving.get_profile(profile_id).await?.profile;
    Ok(Json(ServerStatusResponse::new(
        (profile.id, profile.spec.name.to_string()),
        model,
    )))
}

/// A real one-token generation on the loaded model, timed. 409 when it is not ready (a health
/// check never loads a model); 503 when its queue does not give it a turn in time.
#[utoipa::path(
    get,
    path = "/api/servers/{profile_id}/health",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    params(("profile_id" = i32, Path)),
    responses(
        (status = 200, description = "Healthy", body = HealthResponse),
        problems::Unauthorized,
        problems::NotFound,
        problems::Conflict,
        problems::TooManyRequests,
        problems::Unavailable,
    ),
)]
pub async fn server_health(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(profile_id): Path<i32>,
) -> Result<Json<HealthResponse>, ApiError> {
    Ok(Json(state.serving.server_health(profile_id).await?.into()))
}
