//! The error responses the OpenAI-compatible operations document: the OpenAI error object, not
//! problem documents, because the official clients parse it. The types only describe responses
//! (bodies are rendered by `ApiError` and `reshape_errors`), so they are never built.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// `{"error": {"message", "type", "param", "code"}}`, as the OpenAI API answers errors.
#[derive(Serialize, ToSchema)]
pub struct OpenAiError {
    pub error: OpenAiErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct OpenAiErrorBody {
    /// What went wrong, for people.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `rate_limit_error` or `server_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault, when one is.
    pub param: Option<String>,
    /// A stable code, e.g. `model_not_found`, `validation_error`, `overloaded`.
    pub code: Option<String>,
}

/// The request is malformed or a field is invalid (`param` names it).
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/json")]
pub struct BadRequest(OpenAiError);

/// No credentials, or they were refused.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/json")]
pub struct Unauthorized(OpenAiError);

/// The caller may not do this (e.g. load a model while `members_load_models` is off).
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/json")]
pub struct Forbidden(OpenAiError);

/// The model is neither a profile nor a downloaded model (`code: model_not_found`).
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/json")]
pub struct NotFound(OpenAiError);

/// The model's queue is full, or the caller is over a quota (`code: quota_exceeded`);
/// `Retry-After` says when to come back.
#[derive(IntoResponses)]
#[response(
    status = 429,
    content_type = "application/json",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct Overloaded(OpenAiError);

/// The model cannot run (its files failed to load); `x-should-retry: false`.
#[derive(IntoResponses)]
#[response(
    status = 500,
    content_type = "application/json",
    headers(("x-should-retry" = String, description = "`false`: retrying will not help"))
)]
pub struct ModelFailed(OpenAiError);

/// No room for the model, the turn did not come within the queue timeout, the model was
/// stopped, or the request ran past its time limit.
#[derive(IntoResponses)]
#[response(status = 503, content_type = "application/json")]
pub struct Unavailable(OpenAiError);
