//! One request inside a batch: its prompt's prefill (in chunks, with prompt-cache snapshots at
//! segment ends), then token after token — sampling, end-of-sequence, stop strings, logprobs,
//! reasoning and tool-call splitting — until it finishes or its listener leaves. The batch
//! (`batch.rs`) decides when each step runs and computes the decoding steps of all its
//! sequences together; everything that belongs to one request lives here.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mlx_rs::Array;

mod start;

use super::bundle::ModelBundle;
use super::logprobs::PendingScores;
use super::output::{EventSink, Output};
use super::prompt_cache::SegmentKind;
use super::sampling::Sampler;
use super::stream::{CacheUse, FinishReason, GenerationEvent, GenerationStats, queue_next};
use crate::InferenceError;
use crate::nn::KvCache;
use crate::text::{StopCheck, StopStrings, StreamingDetokenizer};

/// A sampled token not read yet, with its scores when the request asks for them.
pub(super) type Queued = (Array, Option<PendingScores>);

/// What reading one token did to a sequence.
pub(super) enum Accepted {
    Continue,
    Finished(FinishReason),
    /// Nobody listens any more.
    Cancelled,
}

pub(super) struct Sequence<S> {
    prompt: Vec<u32>,
    /// Prompt tokens already in `cache`.
    filled: usize,
    /// Where to snapshot the cache for the prompt cache, in order.
    segments: VecDeque<(usize, SegmentKind)>,
    cache: KvCache,
    cached_tokens: usize,
    max_tokens: usize,
    /// Bytes of keys and values this request may grow to (prompt and answer).
    pub reserved_bytes: u64,
    sampler: Sampler,
    scores: Option<usize>,
    out: Output<S>,
    detokenizer: StreamingDetokenizer,
    stops: StopStrings,
    history: Vec<u32>,
    /// The next token, sampled but possibly not computed yet; `None` while prefilling.
    pub next: Option<Queued>,
    generated: usize,
    started: Instant,
    first_token_at: Option<Duration>,
}

impl<S: EventSink> Sequence<S> {
    /// Feeds up to `budget` more prompt tokens (stopping at the next segment end, where the
    /// prompt cache takes a snapshot). The last prompt token is fed alone and gives the first
    /// sampled token: true once that is queued.
    pub fn prefill(
        &mut self,
        bundle: &ModelBundle,
        prompt_cache: Option<&CacheUse>,
        budget: usize,
    ) -> Result<bool, InferenceError> {
        let last = self.prompt.len() - 1;
        if self.filled < last {
            let end = self.chunk_end(budget, last);
            bundle
                .model
                .prefill(&self.prompt[self.filled..end], &mut self.cache)?;
            self.reached(end, prompt_cache);
            if self.filled < last {
                return Ok(false);
            }
        }
        let token = Array::from_slice(&[self.prompt[last]], &[1]);
        let logits = bundle.model.forward_token(&token, &mut self.cache)?;
        self.filled = self.prompt.len();
        self.next = Some(self.queue_from(&logits)?);
        Ok(true)
    }

    /// The prompt's next chunk to feed beside decoding sequences: at most `budget` tokens, up
    /// to the next segment end (where the prompt cache takes a snapshot); it may end with the
    /// prompt's last token, whose logits give the first sampled one.
    pub fn next_chunk(&self, budget: usize) -> Vec<u32> {
        let end = self.chunk_end(budget, self.prompt.len());
        self.prompt[self.filled..end].to_vec()
    }

    /// Where the next chunk of at most `budget` tokens ends: at `limit`, or sooner at the next
    /// segment end.
    fn chunk_end(&self, budget: usize, limit: usize) -> usize {
        let segment = self.segments.iter().map(|&(end, _)| end);
        let segment_end = segment.filter(|&end| end > self.filled).min();
        (self.filled + budget.max(1))
            .min(limit)
            .min(segment_end.unwrap_or(limit))
    }

    /// The chunk from [`Sequence::next_chunk`] is in the cache (maybe not computed yet), and
    /// `logits` follow its last token. True once the prompt is read and the first token queued.
    pub fn fed(
        &mut self,
        tokens: usize,
        logits: &Array,
        prompt_cache: Option<&CacheUse>,
    ) -> Result<bool, InferenceError> {
        let end = self.filled + tokens;
        self.reached(end, prompt_cache);
        if end < self.prompt.len() {
            return Ok(false);
        }
        self.next = Some(self.queue_from(logits)?);
        Ok(true)
    }

    /// The cache holds the prompt up to `end`: a snapshot for the prompt cache there when it is
    /// a segment end.
    fn reached(&mut self, end: usize, prompt_cache: Option<&CacheUse>) {
        self.filled = end;
        while let Some(&(end, kind)) = self.segments.front()
            && end <= self.filled
        {
            self.segments.pop_front();
            if end == self.filled
                && let Some(store) = prompt_cache
            {
                let prefix = self.prompt[..end].to_vec();
                store.lock().insert(prefix, &self.cache, kind);
            }
        }
    }

    /// Whether its next step may be queued before its current token is read: the sampler reads
    /// the history only for the penalties, and a sequence at its last token takes no step.
    pub fn pipelines(&self) -> bool {
        !self.sampler.params().reads_history() && self.generated + 1 < self.max_tokens
    }

    /// Tokens of its prompt.
    pub fn prompt_len(&self) -> usize {
        self.prompt.len()
    }

    /// Bytes its keys and values hold now.
    pub fn kv_bytes(&self) -> u64 {
        self.cache.bytes()
    }

    pub fn cache(&mut self) -> &mut KvCache {
        &mut self.cache
    }

    /// Samples from `logits` (`[1, vocab]`, this sequence's next-token scores) and queues it.
    pub fn queue_from(&mut self, logits: &Array) -> Result<Queued, InferenceError> {
        queue_next(&mut self.sampler, logits, &self.history, self.scores)
    }

    /// The last token read, to feed when the next step could not be queued ahead.
    pub fn last_token(&self) -> u32 {
        self.history[self.history.len() - 1]
    }

    pub fn listener_left(&self) -> bool {
        self.out.closed()
    }

    /// Ends the request's stream with `error`.
    pub fn fail(mut self, error: InferenceError) {
        self.out.fail(error);
    }

    /// Reads the computed token `queued` and sends what it adds.
    pub fn accept(
        &mut self,
        bundle: &ModelBundle,
        queued: Queued,
    ) -> Result<Accepted, InferenceError> {
        if self.max_tokens == 0 {
            return Ok(Accepted::Finished(FinishReason::Length));
        }
        let (token, scores) = queued;
        let token = token.as_slice::<u32>()[0];
        self.first_token_at
            .get_or_insert_with(|| self.started.elapsed());
        self.generated += 1;
        self.history.push(token);
        let sent = |sent: bool, then: Accepted| match sent {
            true => then,
            false => Accepted::Cancelled,
        };
        if bundle.eos_ids.contains(&token) {
            let sent_all = self.out.text(self.stops.finish(), token, true);
            return Ok(sent(sent_all, Accepted::Finished(FinishReason::Stop)));
        }
        if let Some(pending) = scores {
            let logprob = pending.read(token, &bundle.tokenizer)?;
            if !self.out.event(GenerationEvent::Logprob(logprob)) {
                return Ok(Accepted::Cancelled);
            }
        }
        let delta = self.detokenizer.push(&bundle.tokenizer, token)?;
        let (text, stopped) = match self.stops.push(&delta) {
            StopCheck::Continue(text) => (text, None),
            StopCheck::Stop { released, stop } => (released, Some(stop)),
        };
        if let Some(stop) = stopped {
            let sent_all = self.out.text(text, token, true);
            return Ok(sent(
                sent_all,
                Accepted::Finished(FinishReason::StopSequence(stop)),
            ));
        }
        if !self.out.text(text, token, false) {
            return Ok(Accepted::Cancelled);
        }
        if self.generated < self.max_tokens {
            return Ok(Accepted::Continue);
        }
        let tail = self.detokenizer.finish(&bundle.tokenizer)?;
        let (tail, reason) = match self.stops.push(&tail) {
            StopCheck::Continue(tail) => (tail + &self.stops.finish(), FinishReason::Length),
            StopCheck::Stop { released, stop } => (released, FinishReason::StopSequence(stop)),
        };
        Ok(sent(
            self.out.text(tail, token, true),
            Accepted::Finished(reason),
        ))
    }

    /// Stores the whole exchange for the next turn (which resends it) and sends the statistics.
    pub fn finish(
        mut self,
        reason: FinishReason,
        prompt_cache: Option<&CacheUse>,
        peak_memory_bytes: usize,
    ) -> Result<(), InferenceError> {
        let first_token_at = *self
            .first_token_at
            .get_or_insert_with(|| self.started.elapsed());
        let total = self.started.elapsed();
        if let Some(store) = prompt_cache {
            self.cache.eval()?;
            let held = self.cache.offset() as usize;
            if held <= self.history.len() {
                let tokens = self.history[..held].to_vec();
                store
                    .lock()
                    .insert(tokens, &self.cache, SegmentKind::Conversation);
            }
        }
        let generated = self.generated;
        let decode_time = total.saturating_sub(first_token_at).as_secs_f64();
        let computed = self.prompt.len() - self.cached_tokens;
        let stats = GenerationStats {
            prompt_tokens: self.prompt.len(),
            cached_tokens: self.cached_tokens,
            prompt_tokens_per_sec: computed as f64 / first_token_at.as_secs_f64().max(1e-9),
            generated_tokens: generated,
            decode_tokens_per_sec: match generated > 1 && decode_time > 0.0 {
                true => (generated - 1) as f64 / decode_time,
                false => 0.0,
            },
            time_to_first_token: first_token_at,
            peak_memory_bytes,
        };
        self.out.event(GenerationEvent::Finished { reason, stats });
        Ok(())
    }
}
