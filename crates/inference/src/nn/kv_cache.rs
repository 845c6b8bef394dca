//! Keys and values of the tokens seen so far, one pair per layer, so each new token attends to
//! the past without recomputing it.
//!
//! Buffers grow in steps of [`STEP`] tokens and new entries are written in place, as mlx-lm's
//! `KVCache` does: appending by concatenation would copy the whole cache at every token.

use mlx_rs::Array;
use mlx_rs::ops::indexing::{Ellipsis, IndexOp, TryIndexMutOp};
use mlx_rs::ops::{concatenate, zeros_dtype};

use crate::InferenceError;

/// Tokens of room added at a time.
const STEP: i32 = 256;

/// Cloning shares the buffers: MLX arrays are values, so the first write to either copy makes
/// it its own buffer (copy on write) and the other keeps what it had.
#[derive(Default, Clone)]
pub struct LayerCache {
    keys: Option<Array>,
    values: Option<Array>,
    offset: i32,
}

impl LayerCache {
    /// Tokens already cached (the position of the next one).
    pub fn offset(&self) -> i32 {
        self.offset
    }

    /// Appends `[B, heads, L, dim]` keys and values; returns everything cached so far.
    pub fn update_and_fetch(
        &mut self,
        keys: Array,
        values: Array,
    ) -> Result<(Array, Array), InferenceError> {
        let previous = self.offset;
        let added = keys.dim(2);
        if self
            .keys
            .as_ref()
            .is_none_or(|buffer| previous + added > buffer.dim(2))
        {
            self.grow(&keys, &values)?;
        }
        self.offset = previous + added;
        let (Some(key_buffer), Some(value_buffer)) = (self.keys.as_mut(), self.values.as_mut())
        else {
            return Err(InferenceError::Mlx(
                "KV cache buffers missing after growing".into(),
            ));
        };
        key_buffer
            .try_index_mut((Ellipsis, previous..self.offset, ..), &keys)
            .map_err(mlx_error)?;
        value_buffer
            .try_index_mut((Ellipsis, previous..self.offset, ..), &values)
            .map_err(mlx_error)?;
        Ok((
            key_buffer.index((Ellipsis, ..self.offset, ..)),
            value_buffer.index((Ellipsis, ..self.offset, ..)),
        ))
    }

    fn grow(&mut self, keys: &Array, values: &Array) -> Result<(), InferenceError> {
        let (batch, heads) = (keys.dim(0), keys.dim(1));
        let steps = (STEP + keys.dim(2) - 1) / STEP;
        let new_keys = zeros_dtype(&[batch, heads, steps * STEP, keys.dim(3)], keys.dtype())?;
        let new_values = zeros_dtype(&[batch, heads, steps * STEP, values.dim(3)], values.dtype())?;
        let trim = |buffer: Array| match self.offset % STEP {
            0 => buffer,
            _ => buffer.index((Ellipsis, ..self.offset, ..)),
        };
        (self.keys, self.values) = match (self.keys.take(), self.values.take()) {
            (Some(old_keys), Some(old_values)) => (
                Some(concatenate(&[trim(old_keys), new_keys], 2)?),
                Some(concatenate(&[trim(old_values), new_values], 2)?),
            ),
            _ => (Some(new_keys), Some(new_values)),
        };
        Ok(())
    }

    /// Bytes one more token takes here: its key and value rows for every head, in the dtype
    /// they are stored in (0 before the first update).
    pub fn bytes_per_token(&self) -> u64 {
        self.state()
            .map(|buffer| {
                let per_token = buffer.size() / buffer.dim(2).max(1) as usize;
                (per_token * buffer.item_size()) as u64
            })
            .sum()
    }

    /// A copy holding exactly the cached tokens — the buffers' spare room (up to a step)
    /// dropped — in buffers of its own.
    fn compacted(&self) -> Result<Self, InferenceError> {
        let copy = |buffer: &Array| -> Result<Array, InferenceError> {
            // Multiplying by one copies every value exactly (signs of zero included); a slice
            // alone would stay a view of the whole buffer.
            let one = Array::from_f32(1.0).as_dtype(buffer.dtype())?;
            Ok(buffer.index((Ellipsis, ..self.offset, ..)).multiply(&one)?)
        };
        Ok(Self {
            keys: self.keys.as_ref().map(copy).transpose()?,
            values: self.values.as_ref().map(copy).transpose()?,
            offset: self.offset,
        })
    }

    /// The cached arrays, to evaluate them between prefill chunks.
    pub fn state(&self) -> impl Iterator<Item = &Array> {
        self.keys.iter().chain(self.values.iter())
    }
}

fn mlx_error(error: impl std::fmt::Display) -> InferenceError {
    InferenceError::Mlx(error.to_string())
}

/// One cache per layer.
#[derive(Clone)]
pub struct KvCache {
    pub layers: Vec<LayerCache>,
}

impl KvCache {
    pub fn new(layers: usize) -> Self {
        Self {
            layers: (0..layers).map(|_| LayerCache::default()).collect(),
        }
    }

    pub fn offset(&self) -> i32 {
        self.layers.first().map_or(0, LayerCache::offset)
    }

    /// Forgets every token after the first `tokens`: later writes overwrite them.
    pub fn trim(&mut self, tokens: i32) {
        for layer in &mut self.layers {
            layer.offset = layer.offset.min(tokens.max(0));
        }
    }

    /// Bytes of the buffers it holds (their whole capacity).
    pub fn bytes(&self) -> u64 {
        self.layers
            .iter()
            .flat_map(LayerCache::state)
            .map(|buffer| buffer.nbytes() as u64)
            .sum()
    }

    /// A copy holding exactly the cached tokens, computed, sharing no buffer with this one.
    pub fn compacted(&self) -> Result<Self, InferenceError> {
        let layers = self.layers.iter().map(LayerCache::compacted);
        let copy = Self {
            layers: layers.collect::<Result<_, _>>()?,
        };
        copy.eval()?;
        Ok(copy)
    }

    /// Computes whatever is still lazy in the buffers.
    pub fn eval(&self) -> Result<(), InferenceError> {
        mlx_rs::transforms::eval(self.layers.iter().flat_map(LayerCache::state))?;
        Ok(())
    }
}
