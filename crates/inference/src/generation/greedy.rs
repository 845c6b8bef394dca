//! The greedy reference generator: plain greedy decoding without streaming or stopping, the
//! shape of mlx-lm's `generate_step`, so parity tests compare tokens with the reference.

use super::sampling::{Sampler, SamplingParams};
use crate::InferenceError;
use crate::model::Model;

/// `max_tokens` greedy tokens after `prompt`, never stopping early (as mlx-lm's
/// `generate_step` with a temperature-0 sampler).
pub fn greedy(
    model: &Model,
    prompt: &[u32],
    max_tokens: usize,
) -> Result<Vec<u32>, InferenceError> {
    let mut sampler = Sampler::new(SamplingParams::default())?;
    let mut history = prompt.to_vec();
    let mut cache = model.new_cache();
    let mut logits = model.forward_last(prompt, &mut cache)?;
    let mut tokens = Vec::with_capacity(max_tokens);
    while tokens.len() < max_tokens {
        let next = sampler.sample(&logits, &history)?;
        next.eval()?;
        let token = next.as_slice::<u32>()[0];
        tokens.push(token);
        history.push(token);
        if tokens.len() < max_tokens {
            logits = model.forward_last(&[token], &mut cache)?;
        }
    }
    Ok(tokens)
}
