//! Continuous batching: the requests running on one model decode together. Each step computes
//! one token for every decoding sequence and the next chunk of the oldest joining request's
//! prompt in one forward pass (the weights are read once for all of them), so a long prompt
//! delays the others' next token by one chunk rather than by its whole prefill, and a joining
//! request's prefill costs the others no separate pass. Requests join as soon as their prompt
//! is read and leave as soon as they finish or their listener goes. With nobody decoding, a
//! prompt is read alone in long chunks.
//!
//! As for a request alone, a sequence's next step is queued on its still-lazy token, so MLX
//! computes step n+1 while the host turns step n's tokens into text; a sequence whose sampler
//! reads the history (penalties) is fed its token once read, in a second pass of the step.

use std::collections::VecDeque;

use mlx_rs::Array;
use mlx_rs::ops::concatenate;
use mlx_rs::ops::indexing::IndexOp;

use super::bundle::ModelBundle;
use super::output::EventSink;
use super::sequence::{Accepted, Queued, Sequence};
use super::stream::{CacheUse, GenerationRequest};
use crate::InferenceError;
use crate::model::PREFILL_CHUNK;

/// Prompt tokens a joining request feeds per step while others decode: long enough that its
/// rows, not the weights' reading, dominate the pass; short enough that the others' next token
/// waits a fraction of a second (SmolLM2 f32 on 2 cores: ~0.3 s).
pub const JOINING_CHUNK: usize = 128;

pub(super) struct Batch<S> {
    /// Requests started (prompt read, cached prefix taken) that wait for memory to join.
    waiting: VecDeque<Sequence<S>>,
    /// Requests still reading their prompt, oldest first; one prefills at a time.
    joining: VecDeque<Sequence<S>>,
    decoding: Vec<Sequence<S>>,
}

impl<S: EventSink> Batch<S> {
    pub fn new() -> Self {
        Self {
            waiting: VecDeque::new(),
            joining: VecDeque::new(),
            decoding: Vec::new(),
        }
    }

    /// Requests taken (waiting for memory, joining or decoding).
    pub fn len(&self) -> usize {
        self.waiting.len() + self.running()
    }

    fn running(&self) -> usize {
        self.joining.len() + self.decoding.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of keys and values the running requests may grow to.
    pub fn reserved_bytes(&self) -> u64 {
        let running = self.joining.iter().chain(&self.decoding);
        running.map(|sequence| sequence.reserved_bytes).sum()
    }

    /// Bytes the running requests' caches hold now.
    pub fn kv_bytes(&self) -> u64 {
        let running = self.joining.iter().chain(&self.decoding);
        running.map(Sequence::kv_bytes).sum()
    }

    /// Starts a request; it joins the decoding sequences once its prompt is read.
    pub fn admit(
        &mut self,
        bundle: &ModelBundle,
        request: &GenerationRequest,
        prompt_cache: Option<&CacheUse>,
        sink: S,
    ) {
        if self.is_empty() {
            let _ = mlx_rs::memory::reset_peak_memory();
        }
        let others = self.reserved_bytes();
        if let Some(sequence) = Sequence::start(bundle, request, prompt_cache, others, sink) {
            self.waiting.push_back(sequence);
        }
    }

    /// Lets waiting requests join, oldest first, while the running ones' keys and values and
    /// the next one's prompt fit in `room_bytes` (what the model may hold beyond its weights);
    /// with nothing running, the oldest joins whatever its size.
    pub fn let_in(&mut self, room_bytes: u64, kv_bytes_per_token: u64) {
        while let Some(next) = self.waiting.front() {
            if next.listener_left() {
                self.waiting.pop_front();
                continue;
            }
            let needs = self.kv_bytes() + next.prompt_len() as u64 * kv_bytes_per_token;
            if self.running() > 0 && needs > room_bytes {
                return;
            }
            let mut joining = self.waiting.pop_front().expect("the front sequence");
            if joining.announce() {
                self.joining.push_back(joining);
            }
        }
    }

    /// One step: one token for every decoding sequence, with a chunk of the oldest joining
    /// prompt in the same pass. An error of the shared pass ends every request it concerned.
    pub fn step(&mut self, bundle: &ModelBundle, prompt_cache: Option<&CacheUse>) {
        while self.joining.front().is_some_and(Sequence::listener_left) {
            self.joining.pop_front();
        }
        let riding = !self.decoding.is_empty();
        if !riding {
            self.prefill_alone(bundle, prompt_cache);
            if self.decoding.is_empty() {
                return;
            }
        }
        let count = self.decoding.len();
        let ahead: Vec<usize> = (0..count)
            .filter(|&i| self.decoding[i].pipelines())
            .collect();
        let tokens = ahead.iter().map(|&i| token_of(&self.decoding[i]));
        let tokens = match tokens.collect::<Result<Vec<_>, _>>() {
            Ok(tokens) => tokens,
            Err(error) => return self.fail_decoding(error),
        };
        let chunk = match riding {
            true => self.joining.front().map(|s| s.next_chunk(JOINING_CHUNK)),
            false => None,
        };
        let joiner = chunk.as_deref().zip(self.joining.front_mut());
        let (queued, joiner_logits) =
            match forward(bundle, &mut self.decoding, &ahead, &tokens, joiner) {
                Ok(outcome) => outcome,
                Err(error) => {
                    if chunk.is_some() {
                        self.fail_joiner(error.clone());
                    }
                    return self.fail_decoding(error);
                }
            };
        let mut following: Vec<Option<Queued>> = (0..count).map(|_| None).collect();
        for (i, next) in ahead.into_iter().zip(queued) {
            following[i] = Some(next);
        }
        let joined = match (chunk, joiner_logits) {
            (Some(chunk), Some(logits)) => self.chunk_fed(chunk.len(), &logits, prompt_cache),
            _ => None,
        };
        let current = self.decoding.iter().filter_map(|s| s.next.as_ref());
        let read = mlx_rs::transforms::eval(current.map(|(token, _)| token));
        if let Err(error) = read {
            self.decoding.extend(joined);
            return self.fail_decoding(error.into());
        }
        self.accept_tokens(bundle, prompt_cache, following);
        self.feed_read_tokens(bundle);
        self.decoding.extend(joined);
    }

    /// The oldest joining request's chunk went through the pass: it leaves the joining queue
    /// once its prompt is read (returned, to decode from the next step on).
    fn chunk_fed(
        &mut self,
        tokens: usize,
        logits: &Array,
        prompt_cache: Option<&CacheUse>,
    ) -> Option<Sequence<S>> {
        let sequence = self.joining.front_mut()?;
        match sequence.fed(tokens, logits, prompt_cache) {
            Ok(false) => None,
            Ok(true) => self.joining.pop_front(),
            Err(error) => {
                self.fail_joiner(error);
                None
            }
        }
    }

    /// Nobody decodes: the oldest joining request reads its prompt alone, in long chunks.
    fn prefill_alone(&mut self, bundle: &ModelBundle, prompt_cache: Option<&CacheUse>) {
        let Some(sequence) = self.joining.front_mut() else {
            return;
        };
        match sequence.prefill(bundle, prompt_cache, PREFILL_CHUNK) {
            Ok(false) => {}
            Ok(true) => {
                let ready = self.joining.pop_front().expect("the front sequence");
                self.decoding.push(ready);
            }
            Err(error) => {
                let failed = self.joining.pop_front().expect("the front sequence");
                failed.fail(error);
            }
        }
    }

    /// Reads each decoding sequence's computed token; keeps those that go on, with the step
    /// queued ahead for them, and finishes the others.
    fn accept_tokens(
        &mut self,
        bundle: &ModelBundle,
        prompt_cache: Option<&CacheUse>,
        following: Vec<Option<Queued>>,
    ) {
        let peak = || mlx_rs::memory::peak_memory().unwrap_or(0);
        let sequences = std::mem::take(&mut self.decoding);
        for (mut sequence, following) in sequences.into_iter().zip(following) {
            let current = sequence
                .next
                .take()
                .expect("a decoding sequence has a token");
            match sequence.accept(bundle, current) {
                Ok(Accepted::Continue) => {
                    sequence.next = following;
                    self.decoding.push(sequence);
                }
                Ok(Accepted::Finished(reason)) => {
                    // Its own error is its alone; the stream was told.
                    let _ = sequence.finish(reason, prompt_cache, peak());
                }
                Ok(Accepted::Cancelled) => {}
                Err(error) => sequence.fail(error),
            }
        }
    }

    /// Sequences whose step could not be queued ahead take it now, on the token just read.
    fn feed_read_tokens(&mut self, bundle: &ModelBundle) {
        let behind: Vec<usize> = (0..self.decoding.len())
            .filter(|&i| self.decoding[i].next.is_none())
            .collect();
        if behind.is_empty() {
            return;
        }
        let tokens = behind
            .iter()
            .map(|&i| Array::from_slice(&[self.decoding[i].last_token()], &[1]))
            .collect::<Vec<_>>();
        match forward(bundle, &mut self.decoding, &behind, &tokens, None) {
            Ok((queued, _)) => {
                for (i, next) in behind.into_iter().zip(queued) {
                    self.decoding[i].next = Some(next);
                }
            }
            Err(error) => self.fail_decoding(error),
        }
    }

    /// The shared pass failed: every decoding request ends with the error.
    fn fail_decoding(&mut self, error: InferenceError) {
        for sequence in self.decoding.drain(..) {
            sequence.fail(error.clone());
        }
    }

    /// The pass failed with the oldest joining request's chunk in it: that request ends too.
    fn fail_joiner(&mut self, error: InferenceError) {
        if let Some(joiner) = self.joining.pop_front() {
            joiner.fail(error);
        }
    }
}

/// One forward pass: a decoding step for the sequences of `decoding` at `indices` (ascending),
/// fed `tokens` (one `[1]` array each), and a joining sequence's prompt chunk. Returns the
/// decoding sequences' next tokens, sampled and queued, and the logits after the chunk.
fn forward<S: EventSink>(
    bundle: &ModelBundle,
    decoding: &mut [Sequence<S>],
    indices: &[usize],
    tokens: &[Array],
    joiner: Option<(&[u32], &mut Sequence<S>)>,
) -> Result<(Vec<Queued>, Option<Array>), InferenceError> {
    let logits = match (indices, joiner) {
        ([], None) => return Ok((Vec::new(), None)),
        // Alone, the one-row path (matrix–vector products).
        ([only], None) => {
            let cache = decoding[*only].cache();
            bundle.model.forward_token(&tokens[0], cache)?
        }
        (_, joiner) => {
            let mut rows = tokens.to_vec();
            let mut lens = vec![1; indices.len()];
            let mut caches: Vec<_> = decoding
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| indices.contains(i))
                .map(|(_, sequence)| sequence.cache())
                .collect();
            if let Some((chunk, sequence)) = joiner {
                rows.push(Array::from_slice(chunk, &[chunk.len() as i32]));
                lens.push(chunk.len() as i32);
                caches.push(sequence.cache());
            }
            let tokens = concatenate(&rows, 0)?;
            bundle.model.forward_chunks(&tokens, &mut caches, &lens)?
        }
    };
    let mut queued = Vec::with_capacity(indices.len());
    for (row, &i) in indices.iter().enumerate() {
        let row = row as i32;
        queued.push(decoding[i].queue_from(&logits.index(row..row + 1))?);
    }
    let rows = indices.len() as i32;
    let after_chunk = (logits.dim(0) > rows).then(|| logits.index(rows..rows + 1));
    Ok((queued, after_chunk))
}

/// The token a sequence feeds next, as the `[1]` array its step needs.
fn token_of<S: EventSink>(sequence: &Sequence<S>) -> Result<Array, InferenceError> {
    let (token, _) = sequence
        .next
        .as_ref()
        .expect("a decoding sequence has a token");
    Ok(match token.shape() {
        [1] => token.clone(),
        _ => token.reshape(&[1])?,
    })
}
