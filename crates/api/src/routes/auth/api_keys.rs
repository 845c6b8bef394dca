//! The caller's API keys: for programs and OpenAI/Anthropic clients.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::dto::{ApiKeyResponse, CreateApiKeyRequest, CreatedApiKeyResponse};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::problem::FieldError;
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 100;
const MAX_DAYS: u32 = 3650;

/// Creates an API key. The key is in this response only: it is stored hashed. A user can
/// have at most 50 keys (expired ones count until revoked); beyond that, 409.
#[utoipa::path(
    post,
    path = "/api/auth/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = 201, description = "Created; copy the key now", body = CreatedApiKeyResponse),
        problems::Unauthorized,
        problems::Conflict,
        problems::Invalid,
    ),
)]
pub async fn create_api_key(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<CreatedApiKeyResponse>), ApiError> {
    let name = body.name.trim();
    let name_chars = name.chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        return Err(invalid("name", "must be 1 to 100 characters"));
    }
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_DAYS) => {
            Some(mlx_manager_core::time::now_millis() + i64::from(days) * 86_400_000)
        }
        Some(_) => return Err(invalid("expires_in_days", "must be 1 to 3650")),
    };
    let created = state
        .auth
        .create_api_key(&principal.user, name, expires_at)
        .await?;
    let body = CreatedApiKeyResponse {
        key: created.secret,
        details: created.record.into(),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// The caller's API keys (never the keys themselves).
#[utoipa::path(
    get,
    path = "/api/auth/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Keys, newest first", body = Vec<ApiKeyResponse>),
        problems::Unauthorized,
    ),
)]
pub async fn list_api_keys(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<Json<Vec<ApiKeyResponse>>, ApiError> {
    let keys = state.auth.list_api_keys(&principal.user).await?;
    Ok(Json(keys.into_iter().map(ApiKeyResponse::from).collect()))
}

/// Revokes one of the caller's API keys.
#[utoipa::path(
    delete,
    path = "/api/auth/api-keys/{key_id}",
    tag = "api-keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("key_id" = i32, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    Path(key_id): Path<i32>,
) -> Result<StatusCode, ApiError> {
    state.auth.revoke_api_key(&principal.user, key_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}
