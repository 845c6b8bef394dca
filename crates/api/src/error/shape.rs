//! Which error body a router answers with: problem documents for `/api`, and the bodies the
//! official OpenAI and Anthropic APIs use for routes their clients call. One [`ApiError`]
//! underneath; only the rendering differs.
//!
//! [`ApiError`]: super::ApiError

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::problem::Problem;

/// The error body format of a router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// RFC 9457 `application/problem+json` (the management API).
    Problem,
    /// `{"error": {"message", "type", "param", "code"}}`.
    OpenAi,
    /// `{"type": "error", "error": {"type", "message"}}`.
    Anthropic,
}

/// What any shape needs of an error; attached to every error response rendered by `ApiError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorSummary {
    pub status: StatusCode,
    /// Safe to show the caller (internal details never get here).
    pub message: String,
    /// The invalid field, for validation errors.
    pub param: Option<String>,
    /// A stable machine-readable code: the problem type's slug with underscores.
    pub code: Option<String>,
}

impl ErrorSummary {
    pub fn of(problem: &Problem) -> Self {
        Self {
            status: problem.status_code(),
            message: problem
                .detail
                .clone()
                .unwrap_or_else(|| problem.title.clone()),
            param: problem.errors.first().map(|e| e.field.clone()),
            code: problem
                .problem_type
                .strip_prefix("urn:mlx-manager:problem:")
                .map(|slug| slug.replace('-', "_")),
        }
    }

    /// The body in `shape`; `None` for [`ErrorShape::Problem`], which is what was rendered.
    pub fn body(&self, shape: ErrorShape) -> Option<serde_json::Value> {
        match shape {
            ErrorShape::Problem => None,
            ErrorShape::OpenAi => Some(json!({
                "error": {
                    "message": self.message,
                    "type": openai_type(self.status),
                    "param": self.param,
                    "code": self.code,
                }
            })),
            ErrorShape::Anthropic => Some(json!({
                "type": "error",
                "error": {"type": anthropic_type(self.status), "message": self.message},
            })),
        }
    }
}

fn openai_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        500.. => "server_error",
        _ => "invalid_request_error",
    }
}

fn anthropic_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        500.. => "api_error",
        _ => "invalid_request_error",
    }
}

/// Middleware (`from_fn_with_state(shape, reshape_errors)`) that re-renders a router's error
/// responses in its shape, keeping status and headers (`Retry-After`, `WWW-Authenticate`).
pub async fn reshape_errors(
    State(shape): State<ErrorShape>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let Some(body) = response
        .extensions()
        .get::<ErrorSummary>()
        .and_then(|summary| summary.body(shape))
    else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    // The official APIs answer an invalid field with 400; their clients expect no 422.
    if shape != ErrorShape::Problem && parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        parts.status = StatusCode::BAD_REQUEST;
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::to_bytes;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use crate::ApiError;
    use crate::problem::FieldError;

    async fn render(shape: ErrorShape, error: fn() -> ApiError) -> (Response, serde_json::Value) {
        let router = Router::new()
            .route("/", get(move || async move { error() }))
            .layer(axum::middleware::from_fn_with_state(shape, reshape_errors));
        let response = router
            .oneshot(
                Request::builder()
                    .uri("/")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let json = serde_json::from_slice(&to_bytes(body, 1 << 16).await.unwrap()).unwrap();
        (Response::from_parts(parts, axum::body::Body::empty()), json)
    }

    fn invalid_temperature() -> ApiError {
        ApiError::Validation(vec![FieldError {
            field: "temperature".into(),
            message: "must be between 0 and 2".into(),
        }])
    }

    #[tokio::test]
    async fn openai_routes_get_the_openai_error_object() {
        let (response, body) = render(ErrorShape::OpenAi, invalid_temperature).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            body,
            json!({"error": {
                "message": "temperature: must be between 0 and 2",
                "type": "invalid_request_error",
                "param": "temperature",
                "code": "validation_error",
            }})
        );
    }

    #[tokio::test]
    async fn anthropic_routes_get_the_anthropic_error_and_keep_retry_after() {
        let (response, body) = render(ErrorShape::Anthropic, || ApiError::TooManyRequests {
            retry_after_secs: 7,
        })
        .await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], "rate_limit_error");
        assert_eq!(body["error"]["message"], "too many attempts; retry in 7 s");
    }

    #[tokio::test]
    async fn internal_details_stay_out_of_every_shape() {
        for shape in [
            ErrorShape::Problem,
            ErrorShape::OpenAi,
            ErrorShape::Anthropic,
        ] {
            let (response, body) = render(shape, || {
                ApiError::Internal("secret table t_users broke".into())
            })
            .await;
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(!body.to_string().contains("t_users"), "{shape:?}: {body}");
        }
    }

    #[tokio::test]
    async fn management_routes_keep_problem_documents() {
        let (response, body) = render(ErrorShape::Problem, invalid_temperature).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(body["errors"][0]["field"], "temperature");
    }
}
