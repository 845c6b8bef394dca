//! The API layer's error enum: the one place where failures become HTTP statuses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mlx_manager_core::CoreError;
use thiserror::Error;

use crate::problem::{FieldError, Problem};

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("request body is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
    /// Something broke inside; the details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound { entity } => Self::NotFound(format!("{entity} not found")),
            CoreError::UniqueViolation { .. } => Self::Conflict(error.to_string()),
            CoreError::Invalid { field, message } => Self::Validation(vec![FieldError {
                field: field.to_string(),
                message,
            }]),
            CoreError::DatabaseUnreachable(_) => {
                tracing::error!(%error, "database unreachable");
                Self::Unavailable("the database is unreachable".into())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    fn into_problem(self) -> Problem {
        match self {
            Self::NotFound(detail) => {
                Problem::typed(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
            }
            Self::Validation(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Problem {
                    errors,
                    ..Problem::typed(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation-error",
                        "Request is invalid",
                        detail,
                    )
                }
            }
            Self::Conflict(detail) => {
                Problem::typed(StatusCode::CONFLICT, "conflict", "Conflict", detail)
            }
            Self::UnsupportedMediaType(detail) => {
                Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(detail))
            }
            error @ Self::PayloadTooLarge { .. } => {
                Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE, Some(error.to_string()))
            }
            Self::BadRequest(detail) => Problem::for_status(StatusCode::BAD_REQUEST, Some(detail)),
            Self::Unavailable(detail) => Problem::typed(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                detail,
            ),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                Problem::for_status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some("an internal error occurred; see the server log".into()),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_problem().into_response()
    }
}
