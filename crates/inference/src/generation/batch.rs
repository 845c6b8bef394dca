//! Continuous batching: the requests running on one model decode together. Each step computes
//! one token for every decoding sequence in a single forward pass (the weights are read once for
//! all of them), after at most one chunk of a joining request's prompt, so a long prompt delays
//! the others' next token by one chunk rather than by its whole prefill. Requests join between
//! steps and leave as soon as they finish or their listener goes.
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

/// Prompt tokens a joining request prefills per step while others decode: long enough to
/// keep the product efficient, short enough that the others wait a fraction of a second.
pub const JOINING_CHUNK: usize = 256;

pub(super) struct Batch<S> {
    /// Requests still reading their prompt, oldest first; one prefills at a time.
    joining: VecDeque<Sequence<S>>,
    decoding: Vec<Sequence<S>>,
}

impl<S: EventSink> Batch<S> {
    pub fn new() -> Self {
        Self {
            joining: VecDeque::new(),
            decoding: Vec::new(),
        }
    }

    /// Requests running (joining or decoding).
    pub fn len(&self) -> usize {
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
            self.joining.push_back(sequence);
        }
    }

    /// One step: a chunk of the oldest joining prompt, then one token for every decoding
    /// sequence. An error of the shared forward pass ends every request it concerned.
    pub fn step(&mut self, bundle: &ModelBundle, prompt_cache: Option<&CacheUse>) {
        self.prefill_chunk(bundle, prompt_cache);
        if self.decoding.is_empty() {
            return;
        }
        let count = self.decoding.len();
        let ahead: Vec<usize> = (0..count)
            .filter(|&i| self.decoding[i].pipelines())
            .collect();
        let tokens = ahead.iter().map(|&i| token_of(&self.decoding[i]));
        let mut following: Vec<Option<Queued>> = (0..count).map(|_| None).collect();
        let queued = tokens
            .collect::<Result<Vec<_>, _>>()
            .and_then(|tokens| self.forward(bundle, &ahead, &tokens));
        match queued {
            Ok(queued) => {
                for (i, next) in ahead.into_iter().zip(queued) {
                    following[i] = Some(next);
                }
            }
            Err(error) => return self.fail_decoding(error),
        }
        let current = self.decoding.iter().filter_map(|s| s.next.as_ref());
        let read = mlx_rs::transforms::eval(current.map(|(token, _)| token));
        if let Err(error) = read {
            return self.fail_decoding(error.into());
        }
        self.accept_tokens(bundle, prompt_cache, following);
        self.feed_read_tokens(bundle);
    }

    fn prefill_chunk(&mut self, bundle: &ModelBundle, prompt_cache: Option<&CacheUse>) {
        let Some(sequence) = self.joining.front_mut() else {
            return;
        };
        if sequence.listener_left() {
            self.joining.pop_front();
            return;
        }
        let budget = match self.decoding.is_empty() {
            true => PREFILL_CHUNK,
            false => JOINING_CHUNK,
        };
        match sequence.prefill(bundle, prompt_cache, budget) {
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
        match self.forward(bundle, &behind, &tokens) {
            Ok(queued) => {
                for (i, next) in behind.into_iter().zip(queued) {
                    self.decoding[i].next = Some(next);
                }
            }
            Err(error) => self.fail_decoding(error),
        }
    }

    /// One decoding step for the sequences at `indices`, fed `tokens` (one `[1]` array each):
    /// their next tokens, sampled and queued.
    fn forward(
        &mut self,
        bundle: &ModelBundle,
        indices: &[usize],
        tokens: &[Array],
    ) -> Result<Vec<Queued>, InferenceError> {
        let logits = match indices {
            [] => return Ok(Vec::new()),
            // Alone, the one-row path (matrix–vector products).
            [only] => {
                let cache = self.decoding[*only].cache();
                bundle.model.forward_token(&tokens[0], cache)?
            }
            _ => {
                let tokens = concatenate(tokens, 0)?;
                let mut caches: Vec<_> = self
                    .decoding
                    .iter_mut()
                    .enumerate()
                    .filter(|(i, _)| indices.contains(i))
                    .map(|(_, sequence)| sequence.cache())
                    .collect();
                bundle.model.forward_tokens(&tokens, &mut caches)?
            }
        };
        let mut queued = Vec::with_capacity(indices.len());
        for (row, &i) in indices.iter().enumerate() {
            let row = row as i32;
            queued.push(self.decoding[i].queue_from(&logits.index(row..row + 1))?);
        }
        Ok(queued)
    }

    /// The shared pass failed: every decoding request ends with the error.
    fn fail_decoding(&mut self, error: InferenceError) {
        for sequence in self.decoding.drain(..) {
            sequence.fail(error.clone());
        }
    }
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
