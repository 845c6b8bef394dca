//! `GET /v1/models` and `GET /v1/models/{id}`: the names a client may send as `model` —
//! profiles, then the downloaded models of the cache.

use axum::Json;
use axum::extract::{Path, State};
use mlx_manager_serving::ModelListing;
use serde::Serialize;
use utoipa::ToSchema;

use super::errors;
use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::state::AppState;
use crate::usage::AuditTicket;

/// A model as the OpenAI API describes one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelObject {
    /// What to send as `model`: a profile's name or a model's repository id.
    pub id: String,
    /// Always `model`.
    pub object: &'static str,
    /// Unix seconds: when the profile was created or the model downloaded.
    pub created: i64,
    /// `profile` or `local`.
    pub owned_by: &'static str,
}

/// `{"object": "list", "data": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<ModelObject>,
}

impl From<ModelListing> for ModelObject {
    fn from(listing: ModelListing) -> Self {
        Self {
            id: listing.id,
            object: "model",
            created: listing.created_secs,
            owned_by: listing.owned_by,
        }
    }
}

/// Every profile and downloaded model (OpenAI-compatible).
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The models", body = ModelList),
        errors::Unauthorized,
    ),
)]
pub async fn list_models(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<ModelList>, ApiError> {
    let data = state.serving.model_listings().await?;
    Ok(Json(ModelList {
        object: "list",
        data: data.into_iter().map(Into::into).collect(),
    }))
}

/// One model: a profile by name (OpenAI-compatible).
#[utoipa::path(
    get,
    path = "/v1/models/{id}",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "A profile's name")),
    responses(
        (status = 200, description = "The model", body = ModelObject),
        errors::Unauthorized,
        errors::NotFound,
    ),
)]
pub async fn get_model(
    State(state): State<AppState>,
    _user: CurrentUser,
    ticket: AuditTicket,
    Path(id): Path<String>,
) -> Result<Json<ModelObject>, ApiError> {
    ticket.model(&id);
    find(&state, &id).await
}

/// One model: a downloaded model by its repository id, `org/name` (OpenAI-compatible).
#[utoipa::path(
    get,
    path = "/v1/models/{org}/{name}",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("org" = String, Path, description = "The repository's owner"),
        ("name" = String, Path, description = "The repository's name"),
    ),
    responses(
        (status = 200, description = "The model", body = ModelObject),
        errors::Unauthorized,
        errors::NotFound,
    ),
)]
pub async fn get_repo_model(
    State(state): State<AppState>,
    _user: CurrentUser,
    ticket: AuditTicket,
    Path((org, name)): Path<(String, String)>,
) -> Result<Json<ModelObject>, ApiError> {
    let id = format!("{org}/{name}");
    ticket.model(&id);
    find(&state, &id).await
}

async fn find(state: &AppState, id: &str) -> Result<Json<ModelObject>, ApiError> {
    state
        .serving
        .model_listings()
        .await?
        .into_iter()
        .find(|listing| listing.id == id)
        .map(|listing| Json(listing.into()))
        .ok_or_else(|| {
            ApiError::ModelNotFound(format!(
                "the model `{id}` does not exist: name a profile or a downloaded model"
            ))
        })
}
