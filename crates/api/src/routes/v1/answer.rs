//! A whole (non-streamed) answer, gathered from a generation within the endpoint's time limit:
//! its pieces in the order the model wrote them, why it ended, and its counts. Each protocol
//! renders it in its own shape.

use std::future::Future;
use std::time::Duration;

use mlx_manager_inference::generation::{
    FinishReason, GenerationEvent, GenerationStats, TokenLogprob,
};
use mlx_manager_inference::text::tool_calls::ToolCall;
use mlx_manager_serving::{Generation, ServingError};

use crate::error::{ApiError, model_api_error};

/// A piece of the answer; consecutive text of one kind is one piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Reasoning(String),
    Text(String),
    ToolCall(ToolCall),
}

#[derive(Debug)]
pub struct Answer {
    pub pieces: Vec<Piece>,
    pub reason: FinishReason,
    pub stats: GenerationStats,
    /// Each generated token's score, when the request asked for them.
    pub logprobs: Vec<TokenLogprob>,
}

impl Answer {
    /// The answer's text, without thinking or tool calls.
    pub fn text(&self) -> String {
        self.joined(|piece| match piece {
            Piece::Text(text) => Some(text),
            _ => None,
        })
    }

    pub fn reasoning(&self) -> String {
        self.joined(|piece| match piece {
            Piece::Reasoning(text) => Some(text),
            _ => None,
        })
    }

    pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::ToolCall(call) => Some(call),
            _ => None,
        })
    }

    /// Whether the model ended its turn to have tools called (rather than being cut short).
    pub fn ended_for_tools(&self) -> bool {
        ended_for_tools(&self.reason, self.tool_calls().next().is_some())
    }

    fn joined<'a>(&'a self, pick: impl Fn(&'a Piece) -> Option<&'a String>) -> String {
        self.pieces
            .iter()
            .filter_map(pick)
            .map(String::as_str)
            .collect()
    }
}

/// A turn that ended by itself after calling tools ended for them.
pub fn ended_for_tools(reason: &FinishReason, called: bool) -> bool {
    called && matches!(reason, FinishReason::Stop | FinishReason::StopSequence(_))
}

/// The error a generation past its time limit ends with (it is cancelled).
pub fn timed_out(limit: Duration) -> ApiError {
    ApiError::Unavailable(format!(
        "the answer ran past its time limit of {} s and was cancelled",
        limit.as_secs()
    ))
}

/// Runs the generation to its end, for at most `limit`.
pub async fn collect(
    generation: impl Future<Output = Result<Generation, ServingError>>,
    limit: Duration,
) -> Result<Answer, ApiError> {
    let run = async {
        let mut generation = generation.await?;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut logprobs = Vec::new();
        while let Some(event) = generation.next().await {
            let piece = match event? {
                GenerationEvent::Started { .. } => continue,
                GenerationEvent::Delta { text, .. } => Piece::Text(text),
                GenerationEvent::Reasoning { text, .. } => Piece::Reasoning(text),
                GenerationEvent::ToolCall(call) => Piece::ToolCall(call),
                GenerationEvent::Logprob(score) => {
                    logprobs.push(score);
                    continue;
                }
                GenerationEvent::Finished { reason, stats } => {
                    return Ok(Answer {
                        pieces,
                        reason,
                        stats,
                        logprobs,
                    });
                }
            };
            match (pieces.last_mut(), piece) {
                (_, Piece::Text(text) | Piece::Reasoning(text)) if text.is_empty() => {}
                (Some(Piece::Text(last)), Piece::Text(more))
                | (Some(Piece::Reasoning(last)), Piece::Reasoning(more)) => last.push_str(&more),
                (_, piece) => pieces.push(piece),
            }
        }
        Err(ServingError::TaskFailed(
            "the model stopped before it finished the answer".into(),
        ))
    };
    match tokio::time::timeout(limit, run).await {
        Ok(result) => result.map_err(model_api_error),
        Err(_) => Err(timed_out(limit)),
    }
}
