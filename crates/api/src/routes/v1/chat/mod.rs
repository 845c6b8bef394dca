//! `POST /v1/chat/completions` (OpenAI-compatible).

pub mod request;
pub mod response;
mod stream;
pub mod tools;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use request::ChatCompletionRequest;
use response::{AnswerIdentity, ChatCompletion};

use super::{answer, errors};
use crate::error::{ApiError, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::usage::AuditTicket;

/// A chat answer from a profile or a downloaded model, loaded on demand (members need
/// `members_load_models` for that). With `stream`, Server-Sent Events of
/// `chat.completion.chunk`s ending with `data: [DONE]`, and `: waiting` comments while the
/// request waits; a failure after the stream started arrives as a `data: {"error": …}` event.
/// Cancelled when the client disconnects or `chat_timeout_secs` runs out.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    request_body = ChatCompletionRequest,
    responses(
        (status = 200, description = "The answer (`application/json`), or with `stream` a `text/event-stream` of `ChatCompletionChunk` data lines", body = ChatCompletion),
        errors::BadRequest,
        errors::Unauthorized,
        errors::Forbidden,
        errors::NotFound,
        errors::Overloaded,
        errors::ModelFailed,
        errors::Unavailable,
    ),
)]
pub async fn chat_completions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ticket: AuditTicket,
    ApiJson(body): ApiJson<ChatCompletionRequest>,
) -> Result<Response, ApiError> {
    let (streaming, include_usage) = body.streaming();
    let model = body.model.clone();
    ticket.model(&model);
    let request = body.into_client_request()?;
    let logprobs = request.logprobs.is_some();
    let prepared = state
        .serving
        .prepare_generation(&caller.user, &model, request)
        .await
        .map_err(model_api_error)?;
    let identity = AnswerIdentity::new(prepared.model_name());
    let limit = Duration::from_secs(state.model_api.chat_timeout_secs);
    let load = prepared.load_watch();
    let generation = prepared
        .observed(ticket.observer(&state.metrics), "chat")
        .start();
    if !streaming {
        let answer = answer::collect(generation, limit).await?;
        return Ok(Json(ChatCompletion::new(identity, &answer, logprobs)).into_response());
    }
    let generation = super::sse::refused_at_once(generation).await?;
    Ok(stream::respond(generation, identity, include_usage, logprobs, limit, load).into_response())
}
