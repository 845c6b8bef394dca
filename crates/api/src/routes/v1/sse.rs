//! What every streamed model API answer shares: the answer runs in its own task, which ends
//! (dropping the generation, so the engine stops within one decoding step) when the client goes
//! away or the time limit passes; comments keep idle connections open; errors are sent in the
//! protocol's shape.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use mlx_manager_serving::{Generation, LoadWatch, ServingError};
use tokio::sync::mpsc;

use super::answer::timed_out;
use crate::error::{ApiError, ErrorShape, model_api_error};

/// How often a comment is sent while nothing else is.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// How often a load's progress is reported while the request waits for it.
const LOAD_REPORT: Duration = Duration::from_secs(1);

/// Streams what `answer` sends, for at most `limit`; past it, an error event ends the stream.
/// While the model loads, a comment reports the load's progress every second.
pub fn respond<Answer>(
    shape: ErrorShape,
    limit: Duration,
    load: LoadWatch,
    answer: impl FnOnce(mpsc::Sender<Event>) -> Answer,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    Answer: Future<Output = ()> + Send + 'static,
{
    let (events, receiver) = mpsc::channel::<Event>(32);
    let answer = answer(events.clone());
    tokio::spawn(async move {
        let out = events.clone();
        let run = async move {
            if tokio::time::timeout(limit, answer).await.is_err() {
                let _ = out.send(error_event(shape, timed_out(limit))).await;
            }
        };
        tokio::select! {
            () = events.closed() => {}
            () = run => {}
            () = report_load(load, events.clone()) => {}
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok(event), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("waiting"))
}

/// Sends `: loading MODEL: N% of M MB` each second the model spends loading (never returns).
async fn report_load(load: LoadWatch, out: mpsc::Sender<Event>) {
    let mut ticks = tokio::time::interval(LOAD_REPORT);
    loop {
        ticks.tick().await;
        if let Some(progress) = load.loading() {
            let total = progress.bytes_total.max(1);
            let comment = format!(
                "loading {}: {}% of {} MB",
                load.model(),
                progress.bytes_loaded.min(total) * 100 / total,
                progress.bytes_total.div_ceil(1_000_000)
            );
            if out.send(Event::default().comment(comment)).await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

/// The error as the protocol streams it: OpenAI `data: {"error": …}` (its client raises it),
/// Anthropic `event: error` with its error object.
pub fn error_event(shape: ErrorShape, error: ApiError) -> Event {
    let body = error.summary().body(shape).unwrap_or_default();
    let event = match shape {
        ErrorShape::Anthropic => Event::default().event("error"),
        ErrorShape::OpenAi | ErrorShape::Problem => Event::default(),
    };
    event
        .json_data(body)
        .unwrap_or_else(|_| Event::default().data("{}"))
}

/// A JSON `data:` event.
pub fn data(body: &impl serde::Serialize) -> Event {
    Event::default()
        .json_data(body)
        .unwrap_or_else(|_| Event::default().data("{}"))
}

/// Polls the generation once: a refusal the pool makes at once (a full queue, a model that
/// cannot fit) is returned, to be answered with its status (clients retry a 429) rather than
/// inside a stream; otherwise the generation, to be streamed.
pub async fn refused_at_once(
    generation: impl Future<Output = Result<Generation, ServingError>> + Send + 'static,
) -> Result<impl Future<Output = Result<Generation, ServingError>> + Send + 'static, ApiError> {
    let mut generation = Box::pin(generation);
    let started = tokio::select! {
        biased;
        result = &mut generation => Some(result.map_err(model_api_error)?),
        () = std::future::ready(()) => None,
    };
    Ok(async move {
        match started {
            Some(generation) => Ok(generation),
            None => generation.await,
        }
    })
}
