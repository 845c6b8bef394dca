//! `POST /v1/chat/completions` (OpenAI-compatible).

pub mod request;
pub mod response;
mod stream;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use mlx_manager_inference::generation::GenerationEvent;
use mlx_manager_serving::{Generation, ServingError};

use request::ChatCompletionRequest;
use response::{AnswerIdentity, ChatCompletion, Usage};

use super::errors;
use crate::error::{ApiError, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;

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
    ApiJson(body): ApiJson<ChatCompletionRequest>,
) -> Result<Response, ApiError> {
    let (streaming, include_usage) = body.streaming();
    let model = body.model.clone();
    let request = body.into_client_request()?;
    let prepared = state
        .serving
        .prepare_generation(&caller.user, &model, request)
        .await
        .map_err(model_api_error)?;
    let identity = AnswerIdentity::new(prepared.model_name());
    let limit = Duration::from_secs(state.model_api.chat_timeout_secs);
    let generation = prepared.start();
    if !streaming {
        return Ok(Json(complete(generation, identity, limit).await?).into_response());
    }
    let generation = super::sse::refused_at_once(generation).await?;
    Ok(stream::respond(generation, identity, include_usage, limit).into_response())
}

/// The whole answer at once, within the time limit (a generation past it is cancelled).
async fn complete(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    identity: AnswerIdentity,
    limit: Duration,
) -> Result<ChatCompletion, ApiError> {
    let run = async {
        let mut generation = generation.await?;
        let (mut content, mut reasoning) = (String::new(), String::new());
        while let Some(event) = generation.next().await {
            match event? {
                GenerationEvent::Started { .. } => {}
                GenerationEvent::Delta { text, .. } => content.push_str(&text),
                GenerationEvent::Reasoning { text, .. } => reasoning.push_str(&text),
                GenerationEvent::Finished { reason, stats } => {
                    return Ok((content, reasoning, reason, Usage::from(&stats)));
                }
            }
        }
        Err(ServingError::TaskFailed(
            "the model stopped before it finished the answer".into(),
        ))
    };
    match tokio::time::timeout(limit, run).await {
        Ok(Ok((content, reasoning, reason, usage))) => Ok(ChatCompletion::new(
            identity, content, reasoning, reason, usage,
        )),
        Ok(Err(error)) => Err(model_api_error(error)),
        Err(_) => Err(ApiError::Unavailable(format!(
            "the answer ran past its time limit of {} s and was cancelled",
            limit.as_secs()
        ))),
    }
}
