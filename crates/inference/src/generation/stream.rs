//! One generation: prompt → prefill → decode loop with sampling, end-of-sequence and stop
//! strings, streaming text deltas and finishing with statistics. Runs on the model's worker
//! thread.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mlx_rs::Array;

use super::bundle::ModelBundle;
use super::logprobs::{PendingScores, TokenLogprob};
use super::output::Output;
use super::prompt_cache::{PromptCache, SegmentKind, lock};
use super::sampling::{Sampler, SamplingParams};
use crate::InferenceError;
use crate::text::chat_template::{ChatMessage, RenderOptions};
use crate::text::reasoning::ReasoningSplitter;
use crate::text::tool_calls::{ToolCall, ToolCallParser};
use crate::text::{StopCheck, StopStrings, StreamingDetokenizer};

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
fn queue_next(
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
    fn lock(&self) -> MutexGuard<'_, PromptCache> {
        lock(self.store)
    }
}

/// Runs one request; `emit` returns false when nobody listens any more, which cancels.
pub fn run(
    bundle: &ModelBundle,
    request: &GenerationRequest,
    prompt_cache: Option<CacheUse>,
    emit: impl FnMut(GenerationEvent) -> bool,
) -> Result<(), InferenceError> {
    let prompt = bundle.prompt_ids(&request.prompt)?;
    if let Some(context) = bundle.model.config.max_position_embeddings
        && prompt.len() >= context
    {
        return Err(InferenceError::PromptTooLong {
            prompt: prompt.len(),
            context,
        });
    }
    if prompt.is_empty() {
        return Err(InferenceError::Tokenizer("the prompt is empty".into()));
    }
    // Positions beyond the context were never trained: the answer ends there (`Length`).
    let max_tokens = match bundle.model.config.max_position_embeddings {
        Some(context) => request.max_tokens.min(context - prompt.len()),
        None => request.max_tokens,
    };
    let mut sampler = Sampler::new(request.sampling.clone())?;
    let splitter = match (request.split_reasoning, bundle.reasoning) {
        (true, Some(tags)) => Some(ReasoningSplitter::new(tags.opened_by(&prompt))),
        _ => None,
    };
    let tool_calls = match request.parse_tool_calls {
        true => bundle.tool_format().map(ToolCallParser::new),
        false => None,
    };
    // The cache leaves room for this request's own keys and values within its bound, then
    // gives the longest prefix it holds.
    let (hit, segments) = match &prompt_cache {
        Some(store) => {
            let mut entries = store.lock();
            let own = (prompt.len() + max_tokens) as u64 * store.kv_bytes_per_token;
            let limit = entries.limit_bytes();
            entries.shrink_to(limit.saturating_sub(own));
            let hit = entries.fetch(&prompt);
            drop(entries);
            (hit, bundle.segment_ends(&request.prompt, &prompt))
        }
        None => (None, Vec::new()),
    };
    let (mut cache, cached_tokens) = match hit {
        Some(hit) => (hit.cache, hit.tokens),
        None => (bundle.model.new_cache(), 0),
    };
    let mut out = Output::new(emit, splitter, tool_calls);
    if !out.event(GenerationEvent::Started {
        prompt_tokens: prompt.len(),
        cached_tokens,
    }) {
        return Ok(());
    }
    let mut detokenizer = StreamingDetokenizer::new();
    let mut stops = StopStrings::new(request.stop.iter().cloned());
    let mut history = prompt.clone();
    let _ = mlx_rs::memory::reset_peak_memory();

    let started = Instant::now();
    // Up to each segment's end, then a snapshot there, so a follow-up or another chat with
    // this system prompt starts from it.
    let mut filled = cached_tokens;
    for (end, kind) in segments {
        if end > filled {
            bundle.model.prefill(&prompt[filled..end], &mut cache)?;
            filled = end;
            if let Some(store) = &prompt_cache {
                store.lock().insert(prompt[..end].to_vec(), &cache, kind);
            }
        }
    }
    let logits = bundle.model.forward_last(&prompt[filled..], &mut cache)?;
    let scores = request.logprobs;
    let (mut next, mut next_scores) = queue_next(&mut sampler, &logits, &history, scores)?;
    // The sampler reads the history only for the penalties. Without them, each step is
    // queued on the still-lazy token of the step before, so MLX computes step n+1 while the
    // host turns token n into text: no host round trip on the critical path.
    let pipelined = !sampler.params().reads_history();
    let mut first_token_at = None;
    let mut generated = 0usize;

    let reason = loop {
        if max_tokens == 0 {
            break FinishReason::Length;
        }
        let at_limit = generated + 1 >= max_tokens;
        let queued = match pipelined && !at_limit {
            true => {
                let logits = bundle.model.forward_token(&next, &mut cache)?;
                Some(queue_next(&mut sampler, &logits, &history, scores)?)
            }
            false => None,
        };
        next.eval()?;
        let token = next.as_slice::<u32>()[0];
        first_token_at.get_or_insert_with(|| started.elapsed());
        generated += 1;
        history.push(token);
        if bundle.eos_ids.contains(&token) {
            if !out.text(stops.finish(), token, true) {
                return Ok(());
            }
            break FinishReason::Stop;
        }
        if let Some(pending) = next_scores.take()
            && !out.event(GenerationEvent::Logprob(
                pending.read(token, &bundle.tokenizer)?,
            ))
        {
            return Ok(());
        }
        let delta = detokenizer.push(&bundle.tokenizer, token)?;
        let (text, stopped) = match stops.push(&delta) {
            StopCheck::Continue(text) => (text, None),
            StopCheck::Stop { released, stop } => (released, Some(stop)),
        };
        if !out.text(text, token, stopped.is_some()) {
            return Ok(());
        }
        if let Some(stop) = stopped {
            break FinishReason::StopSequence(stop);
        }
        if at_limit {
            let tail = detokenizer.finish(&bundle.tokenizer)?;
            let (text, reason) = match stops.push(&tail) {
                StopCheck::Continue(text) => (text + &stops.finish(), FinishReason::Length),
                StopCheck::Stop { released, stop } => (released, FinishReason::StopSequence(stop)),
            };
            if !out.text(text, token, true) {
                return Ok(());
            }
            break reason;
        }
        (next, next_scores) = match queued {
            Some(following) => following,
            None => {
                let logits = bundle
                    .model
                    .forward_token(&Array::from_slice(&[token], &[1]), &mut cache)?;
                queue_next(&mut sampler, &logits, &history, scores)?
            }
        };
    };
    let first_token_at = first_token_at.unwrap_or_else(|| started.elapsed());
    let total = started.elapsed();
    // The whole exchange, for the next turn (which resends it) to start from.
    if let Some(store) = &prompt_cache {
        cache.eval()?;
        let held = cache.offset() as usize;
        if held <= history.len() {
            store
                .lock()
                .insert(history[..held].to_vec(), &cache, SegmentKind::Conversation);
        }
    }

    let decode_time = total.saturating_sub(first_token_at).as_secs_f64();
    let stats = GenerationStats {
        prompt_tokens: prompt.len(),
        cached_tokens,
        prompt_tokens_per_sec: (prompt.len() - cached_tokens) as f64
            / first_token_at.as_secs_f64().max(1e-9),
        generated_tokens: generated,
        decode_tokens_per_sec: if generated > 1 && decode_time > 0.0 {
            (generated - 1) as f64 / decode_time
        } else {
            0.0
        },
        time_to_first_token: first_token_at,
        peak_memory_bytes: mlx_rs::memory::peak_memory().unwrap_or(0),
    };
    out.event(GenerationEvent::Finished { reason, stats });
    Ok(())
}
