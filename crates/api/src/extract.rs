//! Who is calling: the authentication middleware and the extractors handlers use.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, MatchedPath, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use mlx_manager_auth::{AuthService, Principal};

use crate::error::ApiError;
use crate::hygiene::RouteMethods;

/// Header Anthropic clients send their key in.
const API_KEY_HEADER: &str = "x-api-key";

/// What the authentication middleware needs: the auth service and which methods each route
/// answers.
#[derive(Clone)]
pub struct AuthGate {
    pub auth: AuthService,
    pub methods: Arc<RouteMethods>,
}

/// Deny by default: every route behind this middleware needs valid credentials, whether or
/// not its handler asks for the caller.
pub async fn require_authentication(
    State(gate): State<AuthGate>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // A method the route does not answer gets the router's 405 (with `Allow`), not a 401.
    let answered = request
        .extensions()
        .get::<MatchedPath>()
        .is_none_or(|path| gate.methods.answers(path.as_str(), request.method()));
    if !answered {
        return Ok(next.run(request).await);
    }
    let principal = authenticate(request.headers(), &gate.auth).await?;
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

async fn authenticate(
    headers: &axum::http::HeaderMap,
    auth: &AuthService,
) -> Result<Principal, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, credential) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| credential.trim())
        })
        .filter(|credential| !credential.is_empty());
    if let Some(credential) = bearer {
        return Ok(auth.authenticate(credential).await?);
    }
    if let Some(key) = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok(auth.authenticate_api_key(key.trim()).await?);
    }
    Err(ApiError::Unauthorized {
        detail: "sign in, or send an access token or API key as `Authorization: Bearer …`".into(),
        invalid_token: false,
    })
}

/// The authenticated caller (any approved user).
pub struct CurrentUser(pub Principal);

impl<S> FromRequestParts<S> for CurrentUser
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<Principal>() {
            Some(principal) => Ok(Self(principal.clone())),
            None => {
                let auth = AuthService::from_ref(state);
                let principal = authenticate(&parts.headers, &auth).await?;
                parts.extensions.insert(principal.clone());
                Ok(Self(principal))
            }
        }
    }
}

/// The authenticated caller, who must be an admin (403 otherwise).
pub struct AdminUser(pub Principal);

impl<S> FromRequestParts<S> for AdminUser
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let CurrentUser(principal) = CurrentUser::from_request_parts(parts, state).await?;
        if !principal.user.is_admin {
            return Err(ApiError::Forbidden(
                "this action needs an administrator".into(),
            ));
        }
        Ok(Self(principal))
    }
}
