//! The API layer's error enum: the one place where failures become HTTP statuses.
//!
//! Every lower layer's error converts into [`ApiError`] by an exhaustive match (`from.rs`), so
//! a new variant down there cannot become a silent 500. Responses are problem documents unless
//! a router picks another [`ErrorShape`] (the OpenAI and Anthropic APIs have their own).

mod from;
pub mod problems;
mod shape;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use thiserror::Error;

use crate::problem::{FieldError, Problem};

pub use from::model_api_error;
pub use shape::{ErrorShape, ErrorSummary, reshape_errors};

/// The header the OpenAI and Anthropic clients obey before their own retry rules.
pub const X_SHOULD_RETRY: &str = "x-should-retry";

#[derive(Debug, Error)]
pub enum ApiError {
    /// No usable credentials; `invalid_token` when some were presented but refused.
    #[error("{detail}")]
    Unauthorized { detail: String, invalid_token: bool },
    #[error("{0}")]
    Forbidden(String),
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A model's queue is full (429 with `Retry-After`).
    #[error("{detail}")]
    Overloaded {
        detail: String,
        retry_after_secs: u64,
    },
    /// The caller used up a quota (429 with `Retry-After`; clients are told not to retry
    /// on their own when the window frees only after more than a minute).
    #[error("{detail}")]
    QuotaExceeded {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    NotFound(String),
    /// The model a model API request names is neither a profile nor a downloaded model.
    #[error("{0}")]
    ModelNotFound(String),
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
    /// The model cannot run (it failed to load: corrupt or unsupported files). Not transient:
    /// answered with `x-should-retry: false`, so clients do not hammer it.
    #[error("{0}")]
    ModelFailed(String),
    /// Something broke inside; the details (the whole source chain) are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 500 for an unexpected error, keeping every `source` of it for the log.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !chain.contains(&text) {
                chain.push_str(": ");
                chain.push_str(&text);
            }
            source = cause.source();
        }
        Self::Internal(chain)
    }
}

impl ApiError {
    /// What any error shape needs, for an error sent inside a stream that already started.
    pub fn summary(self) -> ErrorSummary {
        ErrorSummary::of(&self.into_problem())
    }

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
            Self::Overloaded { detail, .. } => Problem::typed(
                StatusCode::TOO_MANY_REQUESTS,
                "overloaded",
                "Model overloaded",
                detail,
            ),
            Self::QuotaExceeded { detail, .. } => Problem::typed(
                StatusCode::TOO_MANY_REQUESTS,
                "quota-exceeded",
                "Quota exceeded",
                detail,
            ),
            Self::NotFound(detail) => {
                Problem::typed(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
            }
            Self::ModelNotFound(detail) => Problem::typed(
                StatusCode::NOT_FOUND,
                "model-not-found",
                "Model not found",
                detail,
            ),
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
            Self::ModelFailed(detail) => Problem::typed(
                StatusCode::INTERNAL_SERVER_ERROR,
                "model-failed",
                "The model cannot run",
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
        let no_retry = || {
            (
                HeaderName::from_static(X_SHOULD_RETRY),
                HeaderValue::from_static("false"),
            )
        };
        let retry_after = |secs: &u64| {
            HeaderValue::from_str(&secs.to_string())
                .ok()
                .map(|value| (header::RETRY_AFTER, value))
        };
        let extra_headers: Vec<(HeaderName, HeaderValue)> = match &self {
            Self::Unauthorized {
                invalid_token: false,
                ..
            } => vec![(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            Self::Unauthorized {
                invalid_token: true,
                ..
            } => vec![(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )],
            Self::TooManyRequests { retry_after_secs }
            | Self::Overloaded {
                retry_after_secs, ..
            } => retry_after(retry_after_secs).into_iter().collect(),
            Self::QuotaExceeded {
                retry_after_secs, ..
            } => {
                let mut headers: Vec<_> = retry_after(retry_after_secs).into_iter().collect();
                if *retry_after_secs > 60 {
                    headers.push(no_retry());
                }
                headers
            }
            Self::ModelFailed(_) => vec![no_retry()],
            _ => Vec::new(),
        };
        let problem = self.into_problem();
        let summary = ErrorSummary::of(&problem);
        let mut response = problem.into_response();
        for (name, value) in extra_headers {
            response.headers_mut().insert(name, value);
        }
        // Routers with another error shape re-render from this (see `reshape_errors`).
        response.extensions_mut().insert(summary);
        response
    }
}
