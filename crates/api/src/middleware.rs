//! Response post-processing shared by every route.

use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tower_http::request_id::RequestId;
use tracing::Span;

use crate::problem::Problem;

/// Error bodies larger than this are not quoted into a problem's `detail`.
const MAX_QUOTED_ERROR: usize = 1024;

/// Turns error responses that are not JSON (axum's 405, a timeout's empty 503, a body limit's
/// plain-text 413, ...) into problem documents, keeping headers such as `Allow`.
pub async fn problem_for_bare_errors<B>(response: Response<B>) -> Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let response = response.map(Body::new);
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.contains("json") || content_type.starts_with("text/event-stream") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let detail = match content_type.starts_with("text/plain") {
        true => match http_body_util::Limited::new(body, MAX_QUOTED_ERROR)
            .collect()
            .await
        {
            Ok(collected) => Some(
                String::from_utf8_lossy(&collected.to_bytes())
                    .trim()
                    .to_string(),
            )
            .filter(|text| !text.is_empty()),
            Err(_) => None,
        },
        false => None,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut problem = Problem::for_status(status, detail).into_response();
    let problem_content_type = problem.headers_mut().remove(header::CONTENT_TYPE);
    parts.headers.insert(
        header::CONTENT_TYPE,
        problem_content_type.unwrap_or(HeaderValue::from_static("application/problem+json")),
    );
    Response::from_parts(parts, problem.into_body())
}

/// The span every request's log lines are recorded in. Only the path is logged, never the
/// query string, which may carry credentials.
pub fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = ?request_id,
    )
}

/// Bounds producing a response's headers to `request_timeout_secs` (an empty 503, made a
/// problem document by [`problem_for_bare_errors`]), except on the model API: a generation
/// takes longer, and `/v1` enforces its own limits per endpoint, cancelling in the engine.
pub async fn management_timeout(
    State(limit): State<Duration>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let model_api = path == crate::routes::v1::PREFIX
        || path.starts_with(&format!("{}/", crate::routes::v1::PREFIX));
    if model_api {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
