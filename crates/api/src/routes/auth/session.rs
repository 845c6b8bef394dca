//! The caller's own session: who am I, log out, change my password.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::dto::{ChangePasswordRequest, TokenResponse, UserPublic};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The caller", body = UserPublic),
        problems::Unauthorized,
    ),
)]
pub async fn me(CurrentUser(principal): CurrentUser) -> Json<UserPublic> {
    Json(principal.user.into())
}

/// Ends the session of the presented token: it is refused from now on, also after a restart.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 204, description = "Signed out"),
        problems::Unauthorized,
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<StatusCode, ApiError> {
    state.auth.logout(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password. Every other session of the user ends; the response
/// carries a fresh token for this one. The user's API keys keep working (revoke them under
/// `/api/auth/api-keys`); an admin's reset-password and revoke-sessions do revoke them.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; use the new token", body = TokenResponse),
        problems::Unauthorized,
        problems::Invalid,
    ),
)]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let token = state
        .auth
        .change_password(&principal.user, &body.current_password, &body.new_password)
        .await?;
    Ok(Json(TokenResponse {
        access_token: token.token,
        token_type: "bearer".into(),
        expires_in: token.expires_in,
    }))
}
