//! What every request and response goes through before any route: the `Host` it was sent to,
//! the request id it carries, the headers that keep browsers and caches from misusing answers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mlx_manager_core::settings::AllowedHosts;

use crate::ApiError;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const MAX_REQUEST_ID_LEN: usize = 64;

/// Refuses requests to a `Host` the server does not answer to (a DNS-rebinding page talks to
/// 127.0.0.1 under its own name) and HTTP/1.1 requests without one (RFC 9112 §3.2).
pub async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .uri()
        .authority()
        .map(|authority| authority.as_str().to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        });
    match host {
        Some(host) if allowed.allows(&host) => next.run(request).await,
        Some(host) => {
            tracing::warn!(host = ?host, "request to a host name that is not allowed");
            ApiError::BadRequest(format!(
                "this server does not answer to the host name {host:?}; \
                 an operator can add it to `allowed_hosts`"
            ))
            .into_response()
        }
        None if request.version() == Version::HTTP_11 => {
            ApiError::BadRequest("an HTTP/1.1 request needs a Host header".into()).into_response()
        }
        None => next.run(request).await,
    }
}

/// Drops a client's `X-Request-Id` unless it is short and plain, so a new one is generated: an
/// id goes into every log and audit line of the request, where it must not forge fields.
pub async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let acceptable = request
        .headers()
        .get(&X_REQUEST_ID)
        .is_none_or(|value| is_plain_request_id(value.as_bytes()));
    if !acceptable {
        request.headers_mut().remove(&X_REQUEST_ID);
    }
    next.run(request).await
}

fn is_plain_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// API answers are never cached or sniffed (they carry tokens, keys and personal data); the
/// API's documentation page is never framed.
pub async fn protective_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let is_api = path == "/health" || path == "/api" || path.starts_with("/api/");
    if !is_api {
        return response;
    }
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path.starts_with(crate::app::DOCS_PATH) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    response
}

/// The methods each documented path answers, from the spec, so authentication can let a
/// request with another method through to the router's 405 instead of answering 401.
#[derive(Debug, Default)]
pub struct RouteMethods(std::collections::HashMap<String, Vec<Method>>);

impl RouteMethods {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let methods = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (operation, method) in [
                    (&item.get, Method::GET),
                    (&item.put, Method::PUT),
                    (&item.post, Method::POST),
                    (&item.delete, Method::DELETE),
                    (&item.options, Method::OPTIONS),
                    (&item.head, Method::HEAD),
                    (&item.patch, Method::PATCH),
                    (&item.trace, Method::TRACE),
                ] {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                if methods.contains(&Method::GET) && !methods.contains(&Method::HEAD) {
                    methods.push(Method::HEAD);
                }
                (path.clone(), methods)
            })
            .collect();
        Self(methods)
    }

    /// False only when the path is known and does not answer `method`.
    pub fn answers(&self, path: &str, method: &Method) -> bool {
        self.0
            .get(path)
            .is_none_or(|methods| methods.contains(method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        for id in ["abc", "0f8e-11aa.b_c", &"a".repeat(64)] {
            assert!(is_plain_request_id(id.as_bytes()), "{id}");
        }
        for id in [
            "",
            "spoof request_id=admin",
            "a\"b",
            "é",
            &"a".repeat(65),
            "x\ty",
        ] {
            assert!(!is_plain_request_id(id.as_bytes()), "{id}");
        }
    }
}
