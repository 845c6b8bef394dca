//! The Hugging Face token (`/api/settings/huggingface`): whether one is in use and where it
//! comes from, storing one (encrypted at rest), removing it, and checking it with the hub.
//! Admin only. No response holds the token.

use axum::Json;
use axum::extract::State;
use mlx_manager_hub::HubTokenStatus;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::json::ApiJson;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HubTokenResponse {
    /// A token is in use for gated and private repositories.
    pub configured: bool,
    /// Where it comes from: `environment` (`HF_TOKEN`), `config_file` (`hf_token`), `stored`
    /// (through this API) or `hf_home_token_file` (`hf auth login`). A configured token wins
    /// over a stored one.
    pub source: Option<String>,
}

impl From<HubTokenStatus> for HubTokenResponse {
    fn from(status: HubTokenStatus) -> Self {
        Self {
            configured: status.source.is_some(),
            source: status.source.map(|s| s.as_str().to_string()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StoreHubTokenRequest {
    /// A Hugging Face access token (`hf_…`).
    #[schema(value_type = String, format = Password)]
    pub token: SecretString,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HubTokenCheck {
    /// The account the hub says the token belongs to.
    pub username: String,
    /// Where the checked token comes from.
    pub source: String,
}

/// Whether a hub token is in use and where it comes from. Admin only.
#[utoipa::path(
    get,
    path = "/api/settings/huggingface",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "The token's state (never the token)", body = HubTokenResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn get_hub_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<HubTokenResponse>, ApiError> {
    Ok(Json(state.hub.token().view(&admin.user)?.into()))
}

/// Stores a hub token, encrypted with a key kept in the data directory. A token from the
/// environment or the config file still wins. Admin only.
#[utoipa::path(
    put,
    path = "/api/settings/huggingface",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    request_body = StoreHubTokenRequest,
    responses(
        (status = 200, description = "Stored", body = HubTokenResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn store_hub_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    ApiJson(body): ApiJson<StoreHubTokenRequest>,
) -> Result<Json<HubTokenResponse>, ApiError> {
    Ok(Json(
        state
            .hub
            .token()
            .store(&admin.user, body.token)
            .await?
            .into(),
    ))
}

/// Removes the stored hub token. Admin only.
#[utoipa::path(
    delete,
    path = "/api/settings/huggingface",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "Removed; the token in use now, if any", body = HubTokenResponse),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn delete_hub_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<HubTokenResponse>, ApiError> {
    Ok(Json(state.hub.token().delete(&admin.user).await?.into()))
}

/// Asks the hub (through `HF_ENDPOINT`) whose the token in use is. 403 when the hub refuses
/// it, 422 when there is none, 503 when the hub cannot be reached or offline mode is on.
/// Admin only.
#[utoipa::path(
    post,
    path = "/api/settings/huggingface/test",
    tag = "settings",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "The hub accepted the token", body = HubTokenCheck),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
        problems::Unavailable,
    ),
)]
pub async fn test_hub_token(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
) -> Result<Json<HubTokenCheck>, ApiError> {
    let (username, source) = state.hub.token().test(&admin.user).await?;
    Ok(Json(HubTokenCheck {
        username,
        source: source.as_str().to_string(),
    }))
}
