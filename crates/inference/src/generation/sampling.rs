//! Next-token sampling with the semantics of Python mlx-lm's `mlx_lm/sample_utils.py`
//! (`make_sampler`, `make_logits_processors`) and of the step in `generate_step`:
//!
//! 1. the repetition penalty on the raw logits (over the last `repetition_context` tokens), then
//!    the additive presence and frequency penalties (over the last `penalty_context` tokens);
//! 2. `logprobs = logits - logsumexp(logits, keepdims=True)`;
//! 3. temperature 0: `argmax(logprobs)`; otherwise top-p, min-p, top-k (in that order) mask
//!    tokens to `-inf`, and `categorical(logprobs * (1 / temperature))` draws the token.
//!
//! Every op is the one mlx-lm runs, in the same order and dtype, and the PRNG key advances as
//! MLX's global key sequence does (`split` into a new state and the key used), so a seeded
//! [`Sampler`] draws the same tokens as mlx-lm after `mx.random.seed(seed)` on the same logits.

use std::collections::hash_map::RandomState as HashRandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use mlx_rs::ops::indexing::{Ellipsis, TryIndexOp, argmax_axis};
use mlx_rs::ops::{argpartition_axis, minimum, select, sort_axis};
use mlx_rs::{Array, Dtype, random};

use crate::InferenceError;

/// mlx-lm's default `repetition_context_size`.
pub const DEFAULT_REPETITION_CONTEXT: usize = 20;

/// How the next token is chosen. The defaults are greedy decoding with every filter off.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// 0 = greedy (argmax); otherwise the softmax temperature.
    pub temperature: f32,
    /// Nucleus sampling: keep the most likely tokens whose mass reaches `top_p`. 1.0 = off.
    pub top_p: f32,
    /// Keep only the `top_k` most likely tokens. 0 = off (as is a value >= the vocabulary).
    pub top_k: usize,
    /// Drop tokens less likely than `min_p` times the most likely one. 0.0 = off.
    pub min_p: f32,
    /// Sign-aware multiplicative penalty on recently seen tokens. 1.0 = off.
    pub repetition_penalty: f32,
    /// How many of the most recent tokens the repetition penalty looks at.
    pub repetition_context: usize,
    /// OpenAI's presence penalty: subtracted once from every recently seen token's logit. 0 = off.
    pub presence_penalty: f32,
    /// OpenAI's frequency penalty: subtracted per occurrence of a recently seen token. 0 = off.
    pub frequency_penalty: f32,
    /// How many of the most recent tokens the presence and frequency penalties look at.
    pub penalty_context: usize,
    /// `Some`: reproducible; the same seed and inputs give the same tokens.
    pub seed: Option<u64>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            min_p: 0.0,
            repetition_penalty: 1.0,
            repetition_context: DEFAULT_REPETITION_CONTEXT,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            penalty_context: DEFAULT_REPETITION_CONTEXT,
            seed: None,
        }
    }
}

fn invalid(name: &'static str, message: impl Into<String>) -> InferenceError {
    InferenceError::InvalidParameter {
        name,
        message: message.into(),
    }
}

impl SamplingParams {
    /// Checks every field's range; the error names the first bad one.
    pub fn validate(&self) -> Result<(), InferenceError> {
        let t = self.temperature;
        // `1 / t` must be finite too: a subnormal temperature would scale logprobs to NaN.
        if !(t.is_finite() && t >= 0.0 && (t == 0.0 || (1.0 / t).is_finite())) {
            return Err(invalid(
                "temperature",
                format!("must be 0 (greedy) or a positive finite number, got {t}"),
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(invalid(
                "top_p",
                format!("must be in (0, 1] (1 = off), got {}", self.top_p),
            ));
        }
        if !(self.min_p >= 0.0 && self.min_p < 1.0) {
            return Err(invalid(
                "min_p",
                format!("must be in [0, 1) (0 = off), got {}", self.min_p),
            ));
        }
        let penalty = self.repetition_penalty;
        if !(penalty.is_finite() && penalty > 0.0) {
            return Err(invalid(
                "repetition_penalty",
                format!("must be a positive finite number (1 = off), got {penalty}"),
            ));
        }
        // mlx-lm's `tokens[-0:]` would silently penalize the whole history; refuse instead.
        if penalty != 1.0 && self.repetition_context == 0 {
            return Err(invalid(
                "repetition_context",
                "must be at least 1 when a repetition penalty is set",
            ));
        }
        for (name, value) in [
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            if !value.is_finite() {
                return Err(invalid(
                    name,
                    format!("must be a finite number (0 = off), got {value}"),
                ));
            }
        }
        if self.has_additive_penalty() && self.penalty_context == 0 {
            return Err(invalid(
                "penalty_context",
                "must be at least 1 when a presence or frequency penalty is set",
            ));
        }
        Ok(())
    }

    /// Whether a presence or frequency penalty is set.
    pub fn has_additive_penalty(&self) -> bool {
        self.presence_penalty != 0.0 || self.frequency_penalty != 0.0
    }

    /// Whether choosing the next token reads the tokens before it (so a step cannot be queued
    /// before the previous token is known).
    pub fn reads_history(&self) -> bool {
        self.repetition_penalty != 1.0 || self.has_additive_penalty()
    }

    /// Whether the token is the argmax (temperature 0), with no randomness involved.
    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }
}

/// Draws next tokens from logits: the parameters plus the PRNG key state.
pub struct Sampler {
    params: SamplingParams,
    /// The PRNG state; each random draw splits it into the next state and the key it uses.
    key: Array,
}

impl fmt::Debug for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sampler")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// A seed from OS randomness (std's per-process random hasher keys) and the clock.
fn entropy_seed() -> u64 {
    let mut hasher = HashRandomState::new().build_hasher();
    if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

impl Sampler {
    /// Validates `params`; without a seed the PRNG is seeded from OS randomness and the clock.
    pub fn new(params: SamplingParams) -> Result<Self, InferenceError> {
        params.validate()?;
        let key = random::key(params.seed.unwrap_or_else(entropy_seed))?;
        Ok(Self { params, key })
    }

    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// The next token for `logits`, the raw next-token logits `[1, vocab]` (or `[vocab]`;
    /// f32/f16/bf16), after `history` (prompt and generated tokens so far). Returns the token as
    /// a lazy uint32 array of shape `[1]`: nothing is evaluated here.
    pub fn sample(&mut self, logits: &Array, history: &[u32]) -> Result<Array, InferenceError> {
        Ok(self.sample_scored(logits, history)?.0)
    }

    /// [`Sampler::sample`], with the log-probabilities the token was drawn from (after the
    /// penalties, before the filters and temperature: what mlx-lm's `generate_step` yields).
    pub fn sample_scored(
        &mut self,
        logits: &Array,
        history: &[u32],
    ) -> Result<(Array, Array), InferenceError> {
        let logits = check_logits(logits)?;
        let params = &self.params;
        let logits = if params.repetition_penalty != 1.0 && !history.is_empty() {
            apply_repetition_penalty(
                &logits,
                history,
                params.repetition_penalty,
                params.repetition_context,
            )?
        } else {
            logits
        };
        let recent = &history[history.len().saturating_sub(params.penalty_context)..];
        let logits = if params.presence_penalty != 0.0 && !recent.is_empty() {
            apply_presence_penalty(&logits, recent, params.presence_penalty)?
        } else {
            logits
        };
        let logits = if params.frequency_penalty != 0.0 && !recent.is_empty() {
            apply_frequency_penalty(&logits, recent, params.frequency_penalty)?
        } else {
            logits
        };
        let logprobs = log_probs(&logits)?;
        if params.is_greedy() {
            // The largest logit is the largest log-probability: in f32, arg-maxing the logits
            // leaves the vocabulary-wide log-sum-exp to requests that read their scores. In
            // half precision the subtraction rounds neighbours into ties that mlx-lm breaks
            // by index, so there the log-probabilities are arg-maxed as it does.
            let scores = match logits.dtype() {
                Dtype::Float32 => &logits,
                _ => &logprobs,
            };
            return Ok((argmax_axis(scores, -1, None)?, logprobs));
        }
        let mut filtered = logprobs.clone();
        if params.top_p < 1.0 {
            filtered = apply_top_p(&filtered, params.top_p)?;
        }
        if params.min_p != 0.0 {
            filtered = apply_min_p(&filtered, params.min_p)?;
        }
        if params.top_k > 0 {
            filtered = apply_top_k(&filtered, params.top_k)?;
        }
        let inverse_temperature = (1.0 / f64::from(params.temperature)) as f32;
        let scaled = filtered.multiply(scalar(inverse_temperature, filtered.dtype())?)?;
        let key = self.next_key()?;
        let token = random::categorical(&scaled, -1, None, &key)?;
        Ok((token, logprobs))
    }

    /// MLX's `KeySequence::next`: split the state, keep the first half, use the second.
    fn next_key(&mut self) -> Result<Array, InferenceError> {
        let (state, key) = random::split(&self.key, 2)?;
        self.key = state;
        Ok(key)
    }
}

/// `[1, vocab]` floating-point logits (a `[vocab]` vector is reshaped to that).
fn check_logits(logits: &Array) -> Result<Array, InferenceError> {
    let shape = logits.shape();
    let vocab = match shape {
        [vocab] | [1, vocab] => *vocab,
        _ => {
            return Err(invalid(
                "logits",
                format!("expected shape [1, vocab], got {shape:?}"),
            ));
        }
    };
    if vocab < 1 {
        return Err(invalid("logits", "the vocabulary is empty"));
    }
    match logits.dtype() {
        Dtype::Float32 | Dtype::Float16 | Dtype::Bfloat16 | Dtype::Float64 => {}
        other => {
            return Err(invalid(
                "logits",
                format!("expected a floating-point dtype, got {other:?}"),
            ));
        }
    }
    if shape.len() == 1 {
        Ok(logits.reshape(&[1, vocab])?)
    } else {
        Ok(logits.clone())
    }
}

/// A scalar as Python's MLX makes one from a float next to an array of `dtype`.
fn scalar(value: f32, dtype: Dtype) -> Result<Array, InferenceError> {
    let array = Array::from_f32(value);
    if dtype == Dtype::Float32 {
        Ok(array)
    } else {
        Ok(array.as_dtype(dtype)?)
    }
}

fn vocab_size(logprobs: &Array) -> Result<i32, InferenceError> {
    logprobs
        .shape()
        .last()
        .copied()
        .ok_or_else(|| invalid("logits", "expected at least one dimension"))
}

/// `logits - logsumexp(logits, keepdims=True)`, exactly as mlx-lm's `generate_step`.
pub fn log_probs(logits: &Array) -> Result<Array, InferenceError> {
    Ok(logits.subtract(logits.logsumexp(true)?)?)
}

/// mlx-lm's `apply_top_p`: keep the smallest set of most likely tokens whose probability mass
/// reaches `top_p`; the rest become `-inf`.
pub fn apply_top_p(logprobs: &Array, top_p: f32) -> Result<Array, InferenceError> {
    let vocab = vocab_size(logprobs)?;
    let sorted_logprobs = sort_axis(logprobs, -1)?;
    let sorted_probs = sorted_logprobs.as_dtype(Dtype::Float32)?.exp()?;
    let mass_above = sorted_probs.cumsum(-1, true, false)?;
    let total_mass = mass_above
        .try_index((Ellipsis, ..1))?
        .add(sorted_probs.try_index((Ellipsis, ..1))?)?;
    let num_dropped = mass_above
        .ge(total_mass.multiply(Array::from_f32(top_p))?)?
        .sum_axis(-1, true)?;
    // Never past the end (only reachable with NaN or all -inf input, where mlx-lm reads out of
    // bounds).
    let num_dropped = minimum(&num_dropped, Array::from_int(vocab - 1))?;
    let threshold = sorted_logprobs.take_along_axis(&num_dropped, -1)?;
    Ok(select(
        logprobs.lt(&threshold)?,
        scalar(f32::NEG_INFINITY, logprobs.dtype())?,
        logprobs,
    )?)
}

/// mlx-lm's `apply_min_p` (with `min_tokens_to_keep = 1`): drop the tokens whose probability
/// is below `min_p` times the top token's.
pub fn apply_min_p(logprobs: &Array, min_p: f32) -> Result<Array, InferenceError> {
    let top_logprobs = logprobs.max_axis(-1, true)?;
    let log_min_p = f64::from(min_p).ln() as f32;
    let scaled_min_p = top_logprobs.add(scalar(log_min_p, logprobs.dtype())?)?;
    Ok(select(
        logprobs.lt(&scaled_min_p)?,
        scalar(f32::NEG_INFINITY, logprobs.dtype())?,
        logprobs,
    )?)
}

/// mlx-lm's `apply_top_k`: keep the `top_k` most likely tokens. Where mlx-lm raises for
/// `top_k >= vocab`, nothing is dropped here.
pub fn apply_top_k(logprobs: &Array, top_k: usize) -> Result<Array, InferenceError> {
    let vocab = vocab_size(logprobs)?;
    let top_k = match i32::try_from(top_k) {
        Ok(top_k) if top_k > 0 && top_k < vocab => top_k,
        _ => return Ok(logprobs.clone()),
    };
    let mask_idx =
        argpartition_axis(logprobs.negative()?, top_k - 1, -1)?.try_index((Ellipsis, top_k..))?;
    Ok(logprobs.put_along_axis(&mask_idx, scalar(f32::NEG_INFINITY, logprobs.dtype())?, -1)?)
}

mod penalties;
pub use penalties::{apply_frequency_penalty, apply_presence_penalty, apply_repetition_penalty};

#[cfg(test)]
mod tests;
