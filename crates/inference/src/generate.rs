//! Token generation.

use mlx_rs::Array;
use mlx_rs::ops::indexing::argmax_axis;

use crate::InferenceError;
use crate::model::Model;

/// Log-probabilities from logits, as mlx-lm samples from them.
pub fn log_probs(logits: &Array) -> Result<Array, InferenceError> {
    Ok(logits.subtract(logits.logsumexp_axis(-1, true)?)?)
}

/// Greedy decoding of `max_tokens` tokens after `prompt` (no stopping; the caller decides).
pub fn greedy(
    model: &Model,
    prompt: &[u32],
    max_tokens: usize,
) -> Result<Vec<u32>, InferenceError> {
    let mut cache = model.new_cache();
    let mut tokens = Vec::with_capacity(max_tokens);
    let mut logits = model.forward_last(prompt, &mut cache)?;
    for _ in 0..max_tokens {
        let next = argmax_axis(log_probs(&logits)?, -1, None)?;
        next.eval()?;
        let token = next.as_slice::<u32>()[0];
        tokens.push(token);
        if tokens.len() == max_tokens {
            break;
        }
        logits = model.forward_last(&[token], &mut cache)?;
    }
    Ok(tokens)
}
