//! The client's address: the connection's peer, or — behind a trusted reverse proxy — the
//! address it reports in `X-Forwarded-For` (see `TrustedProxies::client`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};
use mlx_manager_core::settings::TrustedProxies;

use crate::error::ApiError;
use crate::state::AppState;

pub struct ClientAddress(pub IpAddr);

impl<S> FromRequestParts<S> for ClientAddress
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        client_of(&parts.extensions, &parts.headers, &state.trusted_proxies)
            .map(Self)
            .ok_or_else(|| ApiError::Internal("the connection's address is unknown".into()))
    }
}

/// The client of a request, from its connection's peer and headers; `None` when the request
/// did not come through the server's accept loop (no peer is known).
pub(crate) fn client_of(
    extensions: &Extensions,
    headers: &HeaderMap,
    proxies: &TrustedProxies,
) -> Option<IpAddr> {
    let ConnectInfo(peer) = extensions.get::<ConnectInfo<SocketAddr>>()?;
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    Some(proxies.client(peer.ip(), forwarded))
}
