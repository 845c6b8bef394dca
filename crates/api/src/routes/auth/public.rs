//! The only `/api` routes open without credentials: registering, logging in, and what the
//! first registration needs.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};

use super::dto::{LoginRequest, RegisterRequest, SetupStatusResponse, TokenResponse, UserPublic};
use crate::client_address::ClientAddress;
use crate::error::{ApiError, problems};
use crate::json::{ApiJson, parse};
use crate::state::AppState;

/// Registers a user. The first user becomes an approved admin; later users wait for approval.
/// The e-mail is normalised (NFKC, lower case); invisible characters and a local part mixing
/// scripts are refused (422), and so is an address that is taken or looks like a taken one
/// (409). One client address may register 5 accounts per 10 minutes (then 429 with
/// `Retry-After`), and registration is closed (503) while 100 accounts wait for approval.
/// When the server listens beyond loopback, the first account needs `setup_token`, the token
/// `mlx-manager serve` printed at startup (403 without it; see `GET /api/auth/setup`).
#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserPublic),
        problems::Forbidden,
        problems::Conflict,
        problems::Invalid,
        problems::TooManyRequests,
        problems::Unavailable,
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<UserPublic>), ApiError> {
    let user = state
        .auth
        .register(
            &body.email,
            &body.password,
            body.setup_token.as_deref(),
            client,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Whether this install still needs its first admin, and whether claiming it needs the setup
/// token (the server listens beyond loopback). The sign-up page asks for the token then.
#[utoipa::path(
    get,
    path = "/api/auth/setup",
    tag = "auth",
    responses(
        (status = 200, description = "What the first registration needs", body = SetupStatusResponse),
    ),
)]
pub async fn setup_status(
    State(state): State<AppState>,
) -> Result<Json<SetupStatusResponse>, ApiError> {
    Ok(Json(state.auth.setup_status().await?.into()))
}

/// Exchanges an e-mail and password for an access token. Accepts JSON or the OAuth2 password
/// form. After 5 failures for one e-mail from one client address in 15 minutes, that address
/// gets 429 with `Retry-After` for the e-mail (after 20 failures over all e-mails, for every
/// e-mail); other addresses are not refused, but once an e-mail has failed 5 times from
/// anywhere, each attempt on it is answered after a delay that doubles up to 4 seconds.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body(content(
        (LoginRequest = "application/json"),
        (LoginRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
        problems::TooManyRequests,
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    LoginForm(body): LoginForm,
) -> Result<Json<TokenResponse>, ApiError> {
    let outcome = state
        .auth
        .login(&body.username, &body.password, client)
        .await;
    state.metrics.login(match &outcome {
        Ok(_) => "success",
        Err(mlx_manager_auth::AuthError::Throttled { .. }) => "throttled",
        Err(_) => "failure",
    });
    let outcome = outcome?;
    Ok(Json(TokenResponse {
        access_token: outcome.token.token,
        token_type: "bearer".into(),
        expires_in: outcome.token.expires_in,
    }))
}

/// The login body as JSON or as an `application/x-www-form-urlencoded` OAuth2 form.
pub struct LoginForm(pub LoginRequest);

impl<S: Send + Sync> FromRequest<S> for LoginForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            let ApiJson(body) = ApiJson::<LoginRequest>::from_request(request, state).await?;
            return Ok(Self(body));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        // Forms have no types: reuse the JSON path for uniform field errors.
        let fields: serde_json::Map<String, serde_json::Value> =
            url::form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect();
        let json = serde_json::to_vec(&fields).unwrap_or_default();
        Ok(Self(parse(&json)?))
    }
}
