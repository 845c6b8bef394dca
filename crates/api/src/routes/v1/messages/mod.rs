//! `POST /v1/messages` and `POST /v1/messages/count_tokens` (Anthropic-compatible).

pub mod request;
pub mod response;
mod stream;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use mlx_manager_inference::generation::GenerationEvent;
use mlx_manager_serving::{Generation, ServingError};

use super::anthropic_errors as errors;
use crate::error::{ApiError, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;
use request::{CountTokensRequest, MessagesRequest};
use response::{AnthropicUsage, Message, TokenCount, message_id};

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
    ApiJson(body): ApiJson<MessagesRequest>,
) -> Result<Response, ApiError> {
    let streaming = body.streaming();
    let model = body.model.clone();
    let request = body.into_client_request()?;
    let prepared = state
        .serving
        .prepare_generation(&caller.user, &model, request)
        .await
        .map_err(model_api_error)?;
    let (id, model) = (message_id(), prepared.model_name().to_string());
    let limit = Duration::from_secs(state.model_api.chat_timeout_secs);
    let generation = prepared.start();
    if !streaming {
        return Ok(Json(complete(generation, id, model, limit).await?).into_response());
    }
    let generation = super::sse::refused_at_once(generation).await?;
    Ok(stream::respond(generation, id, model, limit).into_response())
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
    ApiJson(body): ApiJson<CountTokensRequest>,
) -> Result<Json<TokenCount>, ApiError> {
    let model = body.model.clone();
    let request = body.into_client_request()?;
    let input_tokens = state
        .serving
        .count_prompt_tokens(&model, request)
        .await
        .map_err(model_api_error)?;
    Ok(Json(TokenCount { input_tokens }))
}

/// The whole answer at once, within the time limit (a generation past it is cancelled).
async fn complete(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    id: String,
    model: String,
    limit: Duration,
) -> Result<Message, ApiError> {
    let run = async {
        let mut generation = generation.await?;
        let (mut thinking, mut text) = (String::new(), String::new());
        while let Some(event) = generation.next().await {
            match event? {
                GenerationEvent::Started { .. } => {}
                GenerationEvent::Delta { text: delta, .. } => text.push_str(&delta),
                GenerationEvent::Reasoning { text: delta, .. } => thinking.push_str(&delta),
                GenerationEvent::Finished { reason, stats } => {
                    let usage = AnthropicUsage {
                        input_tokens: stats.prompt_tokens,
                        output_tokens: stats.generated_tokens,
                    };
                    return Ok(Message::new(id, model, (thinking, text), &reason, usage));
                }
            }
        }
        Err(ServingError::TaskFailed(
            "the model stopped before it finished the answer".into(),
        ))
    };
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result.map_err(model_api_error),
        Err(_) => Err(ApiError::Unavailable(format!(
            "the answer ran past its time limit of {} s and was cancelled",
            limit.as_secs()
        ))),
    }
}
