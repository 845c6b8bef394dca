//! A streamed message: the Anthropic event sequence — `message_start`, `ping`, a thinking block
//! when a reasoning model thinks, then a text block (`content_block_start`, `thinking_delta`s or
//! `text_delta`s, `content_block_stop`), a tool_use block per call (`input_json_delta`),
//! `message_delta` with the stop reason and usage,
//! `message_stop` — every event with its `event:` line, `ping` events while the request waits or
//! the prompt is processed, and `event: error` when the generation fails after the stream
//! started.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use mlx_manager_inference::generation::GenerationEvent;
use mlx_manager_inference::text::tool_calls::ToolCall;
use mlx_manager_serving::{Generation, LoadWatch, ServingError};
use serde_json::Value;
use tokio::sync::mpsc;

use super::super::sse;
use super::response::events;
use crate::error::{ApiError, ErrorShape, model_api_error};

/// How often a `ping` is sent while nothing else is.
const PING_EVERY: Duration = Duration::from_secs(5);

/// The answer as a stream (see [`sse::respond`]).
pub fn respond(
    generation: impl Future<Output = Result<Generation, ServingError>> + Send + 'static,
    id: String,
    model: String,
    limit: Duration,
    load: LoadWatch,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    sse::respond(ErrorShape::Anthropic, limit, load, move |out| async move {
        drive(generation, &id, &model, &out).await;
    })
}

/// Awaits `work`, sending a `ping` every [`PING_EVERY`] meanwhile; `None` when the client left.
async fn with_pings<T>(work: impl Future<Output = T>, out: &mpsc::Sender<Event>) -> Option<T> {
    let mut work = pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Some(done),
            () = tokio::time::sleep(PING_EVERY) => {
                if out.send(named(&events::ping())).await.is_err() {
                    return None;
                }
            }
        }
    }
}

async fn drive(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    id: &str,
    model: &str,
    out: &mpsc::Sender<Event>,
) {
    let send = |event: Event| async move { out.send(event).await.is_ok() };
    let mut generation = match with_pings(generation, out).await {
        Some(Ok(generation)) => generation,
        Some(Err(error)) => {
            send(error_event(model_api_error(error))).await;
            return;
        }
        None => return,
    };
    let mut started = false;
    let mut blocks = Blocks::default();
    loop {
        let Some(event) = with_pings(generation.next(), out).await else {
            return;
        };
        let Some(event) = event else {
            let error = ServingError::TaskFailed("the model stopped before it finished".into());
            send(error_event(model_api_error(error))).await;
            return;
        };
        match event {
            Ok(GenerationEvent::Started {
                prompt_tokens,
                cached_tokens,
            }) => {
                started = true;
                for event in [
                    events::message_start(id, model, prompt_tokens, cached_tokens),
                    events::ping(),
                ] {
                    if !send(named(&event)).await {
                        return;
                    }
                }
            }
            Ok(event @ (GenerationEvent::Delta { .. } | GenerationEvent::Reasoning { .. })) => {
                let (text, thinking) = match event {
                    GenerationEvent::Reasoning { text, .. } => (text, true),
                    GenerationEvent::Delta { text, .. } => (text, false),
                    _ => unreachable!("matched above"),
                };
                if text.is_empty() || !started {
                    continue;
                }
                for event in blocks.delta(thinking, &text) {
                    if !send(named(&event)).await {
                        return;
                    }
                }
            }
            // The Messages API has no token scores (and never asks for them).
            Ok(GenerationEvent::Logprob(_)) => {}
            Ok(GenerationEvent::ToolCall(call)) => {
                if !started {
                    continue;
                }
                for event in blocks.tool_use(&call) {
                    if !send(named(&event)).await {
                        return;
                    }
                }
            }
            Ok(GenerationEvent::Finished { reason, stats }) => {
                let called = blocks.called;
                let mut last = blocks.finish();
                last.push(events::message_delta(
                    &reason,
                    called,
                    stats.generated_tokens,
                ));
                last.push(events::message_stop());
                for event in last {
                    if !send(named(&event)).await {
                        return;
                    }
                }
                return;
            }
            Err(error) => {
                send(error_event(model_api_error(error))).await;
                return;
            }
        }
    }
}

/// The content blocks of the answer: a thinking or text block starts at its first delta and
/// stops when another kind begins; a tool_use block is whole at once (start, its input as one
/// `input_json_delta`, stop).
#[derive(Default)]
struct Blocks {
    /// The open block: its index, and whether it is thinking.
    open: Option<(usize, bool)>,
    next: usize,
    /// A tool was called.
    called: bool,
}

impl Blocks {
    fn delta(&mut self, thinking: bool, text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let index = match self.open {
            Some((index, kind)) if kind == thinking => index,
            _ => {
                out.extend(self.close());
                let index = self.next;
                self.next += 1;
                self.open = Some((index, thinking));
                out.push(events::block_start(index, thinking));
                index
            }
        };
        out.push(events::block_delta(index, thinking, text));
        out
    }

    fn tool_use(&mut self, call: &ToolCall) -> Vec<Value> {
        let mut out: Vec<Value> = self.close().into_iter().collect();
        let index = self.next;
        self.next += 1;
        self.called = true;
        out.push(events::tool_use_start(index, &call.id, &call.name));
        out.push(events::input_json_delta(index, &call.arguments));
        out.push(events::block_stop(index));
        out
    }

    fn close(&mut self) -> Option<Value> {
        self.open.take().map(|(index, _)| events::block_stop(index))
    }

    /// Closes the open block; an answer without any text still gets its (empty) text block.
    fn finish(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        if self.next == 0 {
            out.push(events::block_start(0, false));
            self.open = Some((0, false));
            self.next = 1;
        }
        out.extend(self.close());
        out
    }
}

/// An event whose `event:` line is its `type`, as the SDK dispatches on it.
fn named(body: &Value) -> Event {
    let kind = body["type"].as_str().unwrap_or("message");
    Event::default()
        .event(kind)
        .json_data(body)
        .unwrap_or_else(|_| Event::default().event(kind))
}

fn error_event(error: ApiError) -> Event {
    sse::error_event(ErrorShape::Anthropic, error)
}
