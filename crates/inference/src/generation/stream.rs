//! What a generation is asked and what it sends back: the request, its events and statistics;
//! and sampling a next token without waiting for it. `sequence.rs` runs one request,
//! `batch.rs` several together, on the model's worker thread.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use mlx_rs::Array;

use super::logprobs::{PendingScores, TokenLogprob};
use super::prompt_cache::{PromptCache, lock};
use super::sampling::{Sampler, SamplingParams};
use crate::InferenceError;
use crate::text::chat_template::{ChatMessage, RenderOptions};
use crate::text::tool_calls::ToolCall;

/// What to generate from.
#[derive(Debug, Clone)]
pub enum Prompt {
    /// Raw text, tokenized as is (with the tokenizer's special tokens, as mlx-lm does).
    Text(String),
    /// A conversation, rendered with the model's chat template.
    Chat {
        messages: Vec<ChatMessage>,
        options: RenderOptions,
    },
    Tokens(Vec<u32>),
}

#[derive(Debug, Clone)]
pub struct GenerationRequest {
    pub prompt: Prompt,
    /// At most this many tokens; never more than the model's context leaves after the prompt.
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    /// Generation ends before any of these; they are never emitted.
    pub stop: Vec<String>,
    /// Send a reasoning model's `<think>…</think>` as [`GenerationEvent::Reasoning`] rather
    /// than as text.
    pub split_reasoning: bool,
    /// Send the tool calls the model writes as [`GenerationEvent::ToolCall`]s (when the
    /// model's format is known) rather than as text: the request offered tools.
    pub parse_tool_calls: bool,
    /// `Some(n)`: send each generated token's [`GenerationEvent::Logprob`] with the `n` (at
    /// most 20) most likely alternatives.
    pub logprobs: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    /// An end-of-sequence token.
    Stop,
    /// This stop string (not emitted).
    StopSequence(String),
    /// `max_tokens` reached.
    Length,
}

#[derive(Debug, Clone, Default)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Of the prompt's tokens, those whose keys and values came from the prompt cache.
    pub cached_tokens: usize,
    pub prompt_tokens_per_sec: f64,
    pub generated_tokens: usize,
    pub decode_tokens_per_sec: f64,
    pub time_to_first_token: Duration,
    pub peak_memory_bytes: usize,
}

#[derive(Debug, Clone)]
pub enum GenerationEvent {
    /// The prompt was read and is being processed (before the first token); `cached_tokens` of
    /// it come from the prompt cache.
    Started {
        prompt_tokens: usize,
        cached_tokens: usize,
    },
    /// New text (possibly empty while a character or stop string is incomplete) and the token
    /// that produced it.
    Delta { text: String, token_id: u32 },
    /// New reasoning text (the model's thinking), when the request splits it out.
    Reasoning { text: String, token_id: u32 },
    /// A complete tool call, when the request parses them.
    ToolCall(ToolCall),
    /// The score of the token whose text comes next (sent before it), when the request asks;
    /// not sent for the end-of-sequence token.
    Logprob(TokenLogprob),
    Finished {
        reason: FinishReason,
        stats: GenerationStats,
    },
}

/// Samples the token after `logits` and queues its evaluation, with its scores when the
/// request asks for the `Some(n)` most likely alternatives.
pub(super) fn queue_next(
    sampler: &mut Sampler,
    logits: &Array,
    history: &[u32],
    scores: Option<usize>,
) -> Result<(Array, Option<PendingScores>), InferenceError> {
    let (token, logprobs) = sampler.sample_scored(logits, history)?;
    let pending = scores
        .map(|top| PendingScores::new(&token, &logprobs, top))
        .transpose()?;
    let mut arrays = vec![&token];
    if let Some(pending) = &pending {
        arrays.extend(pending.arrays());
    }
    mlx_rs::transforms::async_eval(arrays)?;
    Ok((token, pending))
}

/// A model's prompt cache and what one token of KV cache costs, to keep room for a request.
pub struct CacheUse<'a> {
    pub store: &'a Mutex<PromptCache>,
    pub kv_bytes_per_token: u64,
}

impl CacheUse<'_> {
    pub(super) fn lock(&self) -> MutexGuard<'_, PromptCache> {
        lock(self.store)
    }
}
