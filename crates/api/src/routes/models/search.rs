//! Finding models: search the hub (or the local cache offline) and read a model's config.

use axum::Json;
use axum::extract::{Path, Query, State};
use mlx_manager_core::CoreError;
use mlx_manager_core::hub::{
    ModelCharacteristics, RepoId, SearchQuery, SearchSort, chat_template_from, local_model,
    read_characteristics, search_local, search_results,
};

use super::dto::{ModelCharacteristicsResponse, SearchParams, SearchResultResponse};
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::problem::{FieldError, Problem};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

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
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The hub is unreachable or too slow", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn search_models(
    State(state): State<AppState>,
    _user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<SearchResultResponse>>, ApiError> {
    let text = params.query.trim().to_string();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(invalid("query", "must be 1 to 200 characters"));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "must be 1 to 100"));
    }
    let sort = SearchSort::parse(params.sort.as_deref().unwrap_or("downloads"))?;
    let max_size_bytes = match params.max_size_gb {
        Some(gb) if gb.is_finite() && gb > 0.0 => Some((gb * (1u64 << 30) as f64) as u64),
        Some(_) => return Err(invalid("max_size_gb", "must be a positive number")),
        None => None,
    };
    let cache = state.downloads.engine().cache.clone();
    let budget = state.memory_budget;
    let limit = limit as usize;
    if state.settings.hf_hub_offline {
        let results =
            tokio::task::spawn_blocking(move || search_local(&cache, &text, budget, limit))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(Json(results.into_iter().map(Into::into).collect()));
    }
    // A size filter drops results: ask for more so the page still fills.
    let fetch = if max_size_bytes.is_some() {
        (limit * 2).min(200)
    } else {
        limit
    };
    let query = SearchQuery {
        text,
        limit: fetch,
        sort: sort.hub_key().to_string(),
    };
    let models = state.downloads.engine().client.search(&query).await?;
    let results = tokio::task::spawn_blocking(move || {
        search_results(models, &cache, budget, max_size_bytes, limit)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(results.into_iter().map(Into::into).collect()))
}

/// A model's architecture facts from its `config.json`: the local copy first, else the hub's.
#[utoipa::path(
    get,
    path = "/api/models/config/{org}/{name}",
    tag = "models",
    security(("bearer" = []), ("api_key" = [])),
    params(("org" = String, Path), ("name" = String, Path)),
    responses(
        (status = 200, description = "Characteristics", body = ModelCharacteristicsResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such model, or it has no config.json", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The hub is unreachable", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn model_config(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path((org, name)): Path<(String, String)>,
) -> Result<Json<ModelCharacteristicsResponse>, ApiError> {
    let repo_id = RepoId::parse(&format!("{org}/{name}"))?;
    let cache = state.downloads.engine().cache.clone();
    let id = repo_id.clone();
    let local = tokio::task::spawn_blocking(move || {
        local_model(&cache, &id).and_then(|m| read_characteristics(&m.path))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(characteristics) = local {
        return Ok(Json(characteristics.into()));
    }
    if state.settings.hf_hub_offline {
        return Err(ApiError::NotFound(format!(
            "{repo_id} is not in the local cache (offline mode)"
        )));
    }
    let client = &state.downloads.engine().client;
    let config = client
        .small_file(&repo_id, "main", "config.json")
        .await
        .map_err(|e| match e {
            CoreError::NotFound { entity: "file" } => {
                ApiError::NotFound(format!("{repo_id} has no config.json"))
            }
            other => other.into(),
        })?
        .ok_or_else(|| ApiError::NotFound(format!("{repo_id} has no config.json")))?;
    let config: serde_json::Value = serde_json::from_slice(&config)
        .map_err(|e| ApiError::Unavailable(format!("{repo_id}'s config.json is not JSON: {e}")))?;
    let tokenizer_config = client
        .small_file(&repo_id, "main", "tokenizer_config.json")
        .await
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let jinja = client
        .small_file(&repo_id, "main", "chat_template.jinja")
        .await
        .ok()
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let template = chat_template_from(tokenizer_config.as_ref(), jinja);
    Ok(Json(
        ModelCharacteristics::from_config(&config, template.as_deref()).into(),
    ))
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}
