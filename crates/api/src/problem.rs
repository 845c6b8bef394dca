//! RFC 9457 problem details: the body of every error response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// A problem detail document (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI identifying the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    #[schema(example = "urn:mlx-manager:problem:validation-error")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Request body is invalid")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this particular request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path to the field, e.g. `email` or `items[2].name`; `body` for the document as a whole.
    pub field: String,
    pub message: String,
}

impl Problem {
    /// A problem that only restates an HTTP status.
    pub fn for_status(status: StatusCode, detail: Option<String>) -> Self {
        Self {
            problem_type: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
        }
    }

    /// A problem of a named kind (`urn:mlx-manager:problem:<slug>`).
    pub fn typed(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("urn:mlx-manager:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            errors: Vec::new(),
        }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response
    }
}
