//! `POST /v1/completions` (OpenAI-compatible legacy text completions): a raw prompt, tokenized
//! as it is (no chat template, no system prompt; the profile's sampling defaults apply).

pub mod request;
pub mod response;

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use mlx_manager_inference::generation::GenerationEvent;
use mlx_manager_serving::{Generation, ServingError};
use tokio::sync::mpsc;

use super::answer::{self, Piece};
use super::chat::response::{AnswerIdentity, Usage, UsageField, finish_reason};
use super::errors;
use super::logprobs::TextLogprobs;
use super::sse;
use crate::error::{ApiError, ErrorShape, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::usage::AuditTicket;
use request::CompletionRequest;
use response::Completion;

/// A completion of `prompt` from a profile or a downloaded model, loaded on demand. With
/// `stream`, `text_completion` chunks as Server-Sent Events ending with `data: [DONE]`. With
/// `echo`, the prompt comes first. Cancelled when the client disconnects or
/// `completions_timeout_secs` runs out.
#[utoipa::path(
    post,
    path = "/v1/completions",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    request_body = CompletionRequest,
    responses(
        (status = 200, description = "The completion, or with `stream` a `text/event-stream` of `Completion` chunks", body = Completion),
        errors::BadRequest,
        errors::Unauthorized,
        errors::Forbidden,
        errors::NotFound,
        errors::Overloaded,
        errors::ModelFailed,
        errors::Unavailable,
    ),
)]
pub async fn completions(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ticket: AuditTicket,
    ApiJson(body): ApiJson<CompletionRequest>,
) -> Result<Response, ApiError> {
    let (streaming, include_usage) = body.streaming();
    let model = body.model.clone();
    ticket.model(&model);
    let (echoed, request) = body.into_client_request()?;
    let logprobs = request.logprobs.is_some();
    let prepared = state
        .serving
        .prepare_generation(&caller.user, &model, request)
        .await
        .map_err(model_api_error)?;
    let identity = Completion::identity(prepared.model_name());
    let limit = Duration::from_secs(state.model_api.completions_timeout_secs);
    let load = prepared.load_watch();
    let generation = prepared
        .observed(ticket.observer(&state.metrics), "completions")
        .start();
    if !streaming {
        return Ok(
            Json(complete(generation, identity, echoed, logprobs, limit).await?).into_response(),
        );
    }
    let generation = sse::refused_at_once(generation).await?;
    let answer = move |out: mpsc::Sender<Event>| async move {
        drive(generation, &identity, echoed, include_usage, logprobs, &out).await;
    };
    Ok(sse::respond(ErrorShape::OpenAi, limit, load, answer).into_response())
}

async fn complete(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    identity: AnswerIdentity,
    echoed: String,
    logprobs: bool,
    limit: Duration,
) -> Result<Completion, ApiError> {
    let answer = answer::collect(generation, limit).await?;
    // A raw prompt's reasoning is not split out: all of it is text.
    let text: String = answer
        .pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Text(text) | Piece::Reasoning(text) => Some(text.as_str()),
            Piece::ToolCall(_) => None,
        })
        .collect();
    let usage = UsageField::Null(Some(Usage::from(&answer.stats)));
    let reason = Some(finish_reason(&answer.reason, false));
    let scores = logprobs.then(|| TextLogprobs::of(&answer.logprobs, 0).0);
    Ok(Completion::choice(&identity, echoed + &text, reason, usage).with_logprobs(scores))
}

async fn drive(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    identity: &AnswerIdentity,
    echoed: String,
    include_usage: bool,
    logprobs: bool,
    out: &mpsc::Sender<Event>,
) {
    // Scores not yet sent (their tokens' text was held back) and where the next token starts.
    let (mut scores, mut offset) = (Vec::new(), 0);
    let mut take_scores = |scores: &mut Vec<_>| {
        let (lists, end) = TextLogprobs::of(&std::mem::take(scores), offset);
        offset = end;
        logprobs.then_some(lists)
    };
    let usage_field = match include_usage {
        true => UsageField::Null(None),
        false => UsageField::Absent,
    };
    let send = |body: Completion| async move { out.send(sse::data(&body)).await.is_ok() };
    let failed = |error: ServingError| async move {
        let event = sse::error_event(ErrorShape::OpenAi, model_api_error(error));
        let _ = out.send(event).await;
    };
    let mut generation = match generation.await {
        Ok(generation) => generation,
        Err(error) => return failed(error).await,
    };
    if !echoed.is_empty() && !send(Completion::choice(identity, echoed, None, usage_field)).await {
        return;
    }
    while let Some(event) = generation.next().await {
        match event {
            Ok(GenerationEvent::Started { .. } | GenerationEvent::ToolCall(_)) => {}
            Ok(GenerationEvent::Logprob(score)) => scores.push(score),
            Ok(GenerationEvent::Delta { text, .. } | GenerationEvent::Reasoning { text, .. }) => {
                if text.is_empty() {
                    continue;
                }
                let chunk = Completion::choice(identity, text, None, usage_field)
                    .with_logprobs(take_scores(&mut scores));
                if !send(chunk).await {
                    return;
                }
            }
            Ok(GenerationEvent::Finished { reason, stats }) => {
                let reason = Some(finish_reason(&reason, false));
                let rest = take_scores(&mut scores).filter(|lists| !lists.tokens.is_empty());
                send(
                    Completion::choice(identity, String::new(), reason, usage_field)
                        .with_logprobs(rest),
                )
                .await;
                if include_usage {
                    send(Completion::usage_only(identity, Usage::from(&stats))).await;
                }
                let _ = out.send(Event::default().data("[DONE]")).await;
                return;
            }
            Err(error) => return failed(error).await,
        }
    }
}
