//! A streamed chat answer: Server-Sent Events exactly as the OpenAI API streams — the role
//! first, content, reasoning and tool-call deltas, `finish_reason` on the last choice chunk, the usage chunk when asked,
//! `data: [DONE]` — with comments while the request waits for its turn, a load or a long
//! prefill, and an error object as the last event when the generation fails after it started.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use mlx_manager_inference::generation::GenerationEvent;
use mlx_manager_serving::{Generation, LoadWatch, ServingError};
use tokio::sync::mpsc;

use super::super::answer::ended_for_tools;
use super::super::logprobs::ChatLogprobs;
use super::super::sse;
use super::response::{AnswerIdentity, ChatCompletionChunk, Delta, Usage, finish_reason};
use crate::error::{ApiError, ErrorShape, model_api_error};

/// The answer as a stream (see [`sse::respond`]).
pub fn respond(
    generation: impl Future<Output = Result<Generation, ServingError>> + Send + 'static,
    identity: AnswerIdentity,
    include_usage: bool,
    logprobs: bool,
    limit: Duration,
    load: LoadWatch,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    sse::respond(ErrorShape::OpenAi, limit, load, move |out| async move {
        drive(generation, &identity, include_usage, logprobs, &out).await;
    })
}

async fn drive(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    identity: &AnswerIdentity,
    include_usage: bool,
    logprobs: bool,
    out: &mpsc::Sender<Event>,
) {
    // Scores of tokens not yet in a chunk: they go out with the next one.
    let mut scores = Vec::new();
    let take_scores =
        |scores: &mut Vec<_>| logprobs.then(|| ChatLogprobs::of(&std::mem::take(scores)));
    let send = |event: Event| async move { out.send(event).await.is_ok() };
    let mut generation = match generation.await {
        Ok(generation) => generation,
        Err(error) => {
            send(error_event(model_api_error(error))).await;
            return;
        }
    };
    let first = Delta {
        role: Some("assistant"),
        ..Delta::content(String::new())
    };
    if !send(chunk(&ChatCompletionChunk::choice(
        identity,
        first,
        None,
        include_usage,
    )))
    .await
    {
        return;
    }
    let mut calls = 0usize;
    while let Some(event) = generation.next().await {
        let deltas = match event {
            Ok(GenerationEvent::Started { .. }) => continue,
            Ok(GenerationEvent::Logprob(score)) => {
                scores.push(score);
                continue;
            }
            Ok(GenerationEvent::Delta { text, .. }) if !text.is_empty() => {
                vec![Delta::content(text)]
            }
            Ok(GenerationEvent::Reasoning { text, .. }) if !text.is_empty() => {
                vec![Delta::reasoning(text)]
            }
            Ok(GenerationEvent::Delta { .. } | GenerationEvent::Reasoning { .. }) => continue,
            Ok(GenerationEvent::ToolCall(call)) => {
                calls += 1;
                Delta::tool_call(calls - 1, &call).into()
            }
            Ok(GenerationEvent::Finished { reason, stats }) => {
                let reason = finish_reason(&reason, ended_for_tools(&reason, calls > 0));
                let last = ChatCompletionChunk::choice(
                    identity,
                    Delta::default(),
                    Some(reason),
                    include_usage,
                )
                .with_logprobs(take_scores(&mut scores).filter(|s| !s.content.is_empty()));
                send(chunk(&last)).await;
                if include_usage {
                    send(chunk(&ChatCompletionChunk::usage(
                        identity,
                        Usage::from(&stats),
                    )))
                    .await;
                }
                send(Event::default().data("[DONE]")).await;
                return;
            }
            Err(error) => {
                send(error_event(model_api_error(error))).await;
                return;
            }
        };
        for delta in deltas {
            let body = ChatCompletionChunk::choice(identity, delta, None, include_usage)
                .with_logprobs(take_scores(&mut scores));
            if !send(chunk(&body)).await {
                return;
            }
        }
    }
}

fn chunk(body: &ChatCompletionChunk) -> Event {
    sse::data(body)
}

fn error_event(error: ApiError) -> Event {
    sse::error_event(ErrorShape::OpenAi, error)
}
