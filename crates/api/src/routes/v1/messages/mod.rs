//! `POST /v1/messages` and `POST /v1/messages/count_tokens` (Anthropic-compatible).

pub mod blocks;
pub mod request;
pub mod response;
mod stream;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::answer;
use super::anthropic_errors as errors;
use crate::error::{ApiError, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::usage::AuditTicket;
use request::{CountTokensRequest, MessagesRequest};
use response::{Message, TokenCount, message_id};

/// An answer from a profile or a downloaded model, loaded on demand (members need
/// `members_load_models` for that). With `stream`, the Anthropic event stream (each event with
/// its `event:` line, `ping`s while the request waits); a failure after the stream started is
/// an `event: error`. Cancelled when the client disconnects or `chat_timeout_secs` runs out.
/// `anthropic-version` is accepted and ignored.
#[utoipa::path(
    post,
    path = "/v1/messages",
    tag = "anthropic",
    security(("bearer" = []), ("api_key" = [])),
    request_body = MessagesRequest,
    responses(
        (status = 200, description = "The message (`application/json`), or with `stream` a `text/event-stream` of Anthropic events", body = Message),
        errors::BadRequest,
        errors::Unauthorized,
        errors::Forbidden,
        errors::NotFound,
        errors::Overloaded,
        errors::ModelFailed,
        errors::Unavailable,
    ),
)]
pub async fn create_message(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ticket: AuditTicket,
    ApiJson(body): ApiJson<MessagesRequest>,
) -> Result<Response, ApiError> {
    let streaming = body.streaming();
    let model = body.model.clone();
    ticket.model(&model);
    let request = body.into_client_request()?;
    let prepared = state
        .serving
        .prepare_generation(&caller.user, &model, request)
        .await
        .map_err(model_api_error)?;
    let (id, model) = (message_id(), prepared.model_name().to_string());
    let limit = Duration::from_secs(state.model_api.chat_timeout_secs);
    let load = prepared.load_watch();
    let generation = prepared
        .observed(ticket.observer(&state.metrics), "messages")
        .start();
    if !streaming {
        let answer = answer::collect(generation, limit).await?;
        return Ok(Json(Message::new(id, model, &answer)).into_response());
    }
    let generation = super::sse::refused_at_once(generation).await?;
    Ok(stream::respond(generation, id, model, limit, load).into_response())
}

/// How many input tokens the request makes with the model's tokenizer and chat template (the
/// profile's system prompt included); nothing is generated or loaded.
#[utoipa::path(
    post,
    path = "/v1/messages/count_tokens",
    tag = "anthropic",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CountTokensRequest,
    responses(
        (status = 200, description = "The count", body = TokenCount),
        errors::BadRequest,
        errors::Unauthorized,
        errors::NotFound,
    ),
)]
pub async fn count_tokens(
    State(state): State<AppState>,
    _caller: CurrentUser,
    ticket: AuditTicket,
    ApiJson(body): ApiJson<CountTokensRequest>,
) -> Result<Json<TokenCount>, ApiError> {
    let model = body.model.clone();
    ticket.model(&model);
    let request = body.into_client_request()?;
    let input_tokens = state
        .serving
        .count_prompt_tokens(&model, request)
        .await
        .map_err(model_api_error)?;
    ticket.tokens(input_tokens as u64, None);
    Ok(Json(TokenCount { input_tokens }))
}
