//! The error responses operations document, declared once: `responses(…, problems::NotFound)`
//! in a route's `#[utoipa::path]` stands for the problem document of that status.
//!
//! The types only describe responses (the body is rendered by `ApiError`), so they are never
//! built.
#![allow(dead_code)]

use utoipa::IntoResponses;

use crate::problem::Problem;

/// Not signed in, or the credentials were refused (invalid, expired or revoked).
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/problem+json")]
pub struct Unauthorized(Problem);

/// Signed in, but not allowed: the role, the account's state, or the hub's access rules.
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(Problem);

/// No such resource.
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(Problem);

/// The action conflicts with the resource's current state or with another resource.
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
pub struct Conflict(Problem);

/// The request is invalid; `errors` names each field.
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
pub struct Invalid(Problem);

/// Too many attempts; `Retry-After` says when to try again.
#[derive(IntoResponses)]
#[response(
    status = 429,
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct TooManyRequests(Problem);

/// A service this needs (the database, the Hugging Face hub) is unreachable, too slow, or off.
#[derive(IntoResponses)]
#[response(status = 503, content_type = "application/problem+json")]
pub struct Unavailable(Problem);
