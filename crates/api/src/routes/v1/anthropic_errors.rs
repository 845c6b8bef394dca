//! The error responses the Anthropic-compatible operations document: the Anthropic error
//! object, because the official client parses it. Description-only types, never built.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// `{"type": "error", "error": {"type", "message"}}`, as the Anthropic API answers errors.
#[derive(Serialize, ToSchema)]
pub struct AnthropicError {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub error: AnthropicErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct AnthropicErrorBody {
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `request_too_large`, `rate_limit_error`, `api_error` or `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// The request is malformed or a field is invalid (the message names it).
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/json")]
pub struct BadRequest(AnthropicError);

/// No credentials (`x-api-key` or `Authorization: Bearer`), or they were refused.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/json")]
pub struct Unauthorized(AnthropicError);

/// The caller may not load this model (`members_load_models` is off).
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/json")]
pub struct Forbidden(AnthropicError);

/// The model is neither a profile nor a downloaded model.
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/json")]
pub struct NotFound(AnthropicError);

/// The model's queue is full (`rate_limit_error`); `Retry-After` says when to come back.
#[derive(IntoResponses)]
#[response(
    status = 429,
    content_type = "application/json",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct Overloaded(AnthropicError);

/// The model cannot run (its files failed to load); `x-should-retry: false`.
#[derive(IntoResponses)]
#[response(
    status = 500,
    content_type = "application/json",
    headers(("x-should-retry" = String, description = "`false`: retrying will not help"))
)]
pub struct ModelFailed(AnthropicError);

/// `overloaded_error`: no room for the model, the turn did not come in time, the model was
/// stopped, or the request ran past its time limit.
#[derive(IntoResponses)]
#[response(status = 503, content_type = "application/json")]
pub struct Unavailable(AnthropicError);
