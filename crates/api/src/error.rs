//! The API layer's error enum: the one place where failures become HTTP statuses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mlx_manager_auth::AuthError;
use mlx_manager_core::CoreError;
use thiserror::Error;

use crate::problem::{FieldError, Problem};

#[derive(Debug, Error)]
pub enum ApiError {
    /// No usable credentials; `invalid_token` when some were presented but refused.
    #[error("{detail}")]
    Unauthorized { detail: String, invalid_token: bool },
    #[error("{0}")]
    Forbidden(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
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
    #[error("{0}")]
    InsufficientStorage(String),
    /// Something broke inside; the details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::NotFound { entity } => Self::NotFound(format!("{entity} not found")),
            CoreError::UniqueViolation { .. } | CoreError::RuleViolation(_) => {
                Self::Conflict(error.to_string())
            }
            CoreError::Invalid { field, message } => Self::Validation(vec![FieldError {
                field: field.to_string(),
                message,
            }]),
            CoreError::DatabaseUnreachable(_) => {
                tracing::error!(%error, "database unreachable");
                Self::Unavailable("the database is unreachable".into())
            }
            CoreError::Conflict(message) => Self::Conflict(message),
            CoreError::Unavailable { .. } => Self::Unavailable(error.to_string()),
            CoreError::AccessDenied(message) => Self::Forbidden(message),
            CoreError::ChecksumMismatch(message) => Self::Unavailable(message),
            CoreError::DiskFull(message) => Self::InsufficientStorage(message),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    fn into_problem(self) -> Problem {
        match self {
            Self::Unauthorized { detail, .. } => Problem::typed(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Not authenticated",
                detail,
            ),
            Self::Forbidden(detail) => {
                Problem::typed(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
            }
            error @ Self::TooManyRequests { .. } => Problem::typed(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many attempts",
                error.to_string(),
            ),
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
            Self::InsufficientStorage(detail) => Problem::typed(
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient-storage",
                "Insufficient storage",
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
        let extra_header = match &self {
            Self::Unauthorized {
                invalid_token: false,
                ..
            } => Some((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))),
            Self::Unauthorized {
                invalid_token: true,
                ..
            } => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )),
            Self::TooManyRequests { retry_after_secs } => {
                HeaderValue::from_str(&retry_after_secs.to_string())
                    .ok()
                    .map(|value| (header::RETRY_AFTER, value))
            }
            _ => None,
        };
        let mut response = self.into_problem().into_response();
        if let Some((name, value)) = extra_header {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Core(core) => core.into(),
            AuthError::InvalidCredentials => Self::Unauthorized {
                detail: "incorrect e-mail or password".into(),
                invalid_token: false,
            },
            AuthError::InvalidToken(reason) => {
                tracing::debug!(%reason, "credential refused");
                Self::Unauthorized {
                    detail: "the credentials are invalid or expired; sign in again".into(),
                    invalid_token: true,
                }
            }
            AuthError::AccountPending => {
                Self::Forbidden("this account is waiting for an administrator's approval".into())
            }
            AuthError::AccountDisabled => {
                Self::Forbidden("this account has been disabled by an administrator".into())
            }
            AuthError::Throttled { retry_after } => Self::TooManyRequests {
                retry_after_secs: retry_after.as_secs().max(1),
            },
            AuthError::WeakPassword { reason } => Self::Validation(vec![FieldError {
                field: "password".into(),
                message: reason,
            }]),
            AuthError::CurrentPasswordIncorrect => Self::Validation(vec![FieldError {
                field: "current_password".into(),
                message: "is incorrect".into(),
            }]),
            other => Self::Internal(other.to_string()),
        }
    }
}
