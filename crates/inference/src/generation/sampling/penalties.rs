//! The logits processors that read the tokens so far, as mlx-lm's `make_logits_processors`
//! builds them: the multiplicative repetition penalty, then OpenAI's additive presence and
//! frequency penalties.

use mlx_rs::Array;
use mlx_rs::ops::indexing::scatter_add_single;
use mlx_rs::ops::select;

use super::{invalid, scalar, vocab_size};
use crate::InferenceError;

/// The tokens of `recent` inside the vocabulary as a `[1, n]` index array (`n` ≥ 1), distinct
/// and sorted when `distinct`; `None` when none is left.
fn token_indices(
    logits: &Array,
    recent: &[u32],
    distinct: bool,
) -> Result<Option<Array>, InferenceError> {
    let vocab = vocab_size(logits)?;
    let mut tokens: Vec<u32> = recent
        .iter()
        .copied()
        .filter(|&token| i64::from(token) < i64::from(vocab))
        .collect();
    if distinct {
        tokens.sort_unstable();
        tokens.dedup();
    }
    if tokens.is_empty() {
        return Ok(None);
    }
    let count =
        i32::try_from(tokens.len()).map_err(|_| invalid("history", "too many recent tokens"))?;
    let mut index_shape = vec![1; logits.ndim()];
    if let Some(last) = index_shape.last_mut() {
        *last = count;
    }
    Ok(Some(Array::from_slice(&tokens, &index_shape)))
}

/// mlx-lm's `make_repetition_penalty` processor: the logits of the distinct tokens among the
/// last `context` of `history` are multiplied by `penalty` where negative and divided by it
/// otherwise. Tokens outside the vocabulary are ignored.
pub fn apply_repetition_penalty(
    logits: &Array,
    history: &[u32],
    penalty: f32,
    context: usize,
) -> Result<Array, InferenceError> {
    let recent = &history[history.len().saturating_sub(context)..];
    let Some(indices) = token_indices(logits, recent, true)? else {
        return Ok(logits.clone());
    };
    let selected = logits.take_along_axis(&indices, -1)?;
    let penalty = scalar(penalty, logits.dtype())?;
    let penalized = select(
        selected.lt(scalar(0.0, selected.dtype())?)?,
        selected.multiply(&penalty)?,
        selected.divide(&penalty)?,
    )?;
    Ok(logits.put_along_axis(&indices, &penalized, -1)?)
}

/// mlx-lm's `make_presence_penalty`: `penalty` is subtracted once from the logit of every
/// distinct token of `recent` (the last `penalty_context` tokens).
pub fn apply_presence_penalty(
    logits: &Array,
    recent: &[u32],
    penalty: f32,
) -> Result<Array, InferenceError> {
    let Some(indices) = token_indices(logits, recent, true)? else {
        return Ok(logits.clone());
    };
    let selected = logits.take_along_axis(&indices, -1)?;
    let penalized = selected.subtract(scalar(penalty, logits.dtype())?)?;
    Ok(logits.put_along_axis(&indices, &penalized, -1)?)
}

/// mlx-lm's `make_frequency_penalty`: `penalty` is subtracted from a token's logit once per
/// occurrence in `recent` (a scatter-add, so repeated indices accumulate).
pub fn apply_frequency_penalty(
    logits: &Array,
    recent: &[u32],
    penalty: f32,
) -> Result<Array, InferenceError> {
    let Some(indices) = token_indices(logits, recent, false)? else {
        return Ok(logits.clone());
    };
    // MLX's scatter takes one index per update along the (non-negative) axis, and each update
    // is a slice of the array with that axis of length 1: `[n, 1, …, 1]`.
    let count = indices.size() as i32;
    let axis = logits.ndim() as i32 - 1;
    let indices = indices.reshape(&[count])?;
    let mut update_shape = vec![count];
    update_shape.extend(std::iter::repeat_n(1, logits.ndim()));
    let updates =
        Array::full::<f32>(&update_shape, Array::from_f32(-penalty))?.as_dtype(logits.dtype())?;
    Ok(scatter_add_single(logits, &indices, &updates, axis)?)
}
