//! Finding models: search the hub (or the local cache offline) and read a model's config.

use axum::Json;
use axum::extract::{Path, Query, State};
use mlx_manager_core::domain::RepoId;
use mlx_manager_hub::SearchRequest;

use super::dto::{ModelCharacteristicsResponse, ModelPath, SearchParams, SearchResultResponse};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Searches the hub for MLX models (any author). Offline (`HF_HUB_OFFLINE=1`) it searches the
/// local cache instead.
#[utoipa::path(
    get,
    path = "/api/models/search",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "Matching models, best first", body = Vec<SearchResultResponse>),
        problems::Unauthorized,
        problems::Invalid,
        problems::Unavailable,
    ),
)]
pub async fn search_models(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<SearchResultResponse>>, ApiError> {
    let request = SearchRequest::parse(
        &params.query,
        params.limit,
        params.sort.as_deref(),
        params.max_size_gb,
    )?;
    let results = state.hub.catalog().search(request).await?;
    Ok(Json(results.into_iter().map(Into::into).collect()))
}

/// A model's architecture facts from its `config.json`: the local copy first, else the hub's.
#[utoipa::path(
    get,
    path = "/api/models/config/{org}/{name}",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    params(ModelPath),
    responses(
        (status = 200, description = "Characteristics", body = ModelCharacteristicsResponse),
        problems::Unauthorized,
        problems::NotFound,
        problems::Invalid,
        problems::Unavailable,
    ),
)]
pub async fn model_config(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(path): Path<ModelPath>,
) -> Result<Json<ModelCharacteristicsResponse>, ApiError> {
    let repo_id = RepoId::from_parts(&path.org, &path.name)?;
    Ok(Json(
        state.hub.catalog().characteristics(&repo_id).await?.into(),
    ))
}
