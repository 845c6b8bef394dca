//! Keys and values of the tokens seen so far, one pair per layer, so each new token attends to
//! the past without recomputing it.

use mlx_rs::Array;
use mlx_rs::ops::concatenate;

use crate::InferenceError;

#[derive(Default)]
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
        let (keys, values) = match (self.keys.take(), self.values.take()) {
            (Some(old_keys), Some(old_values)) => (
                concatenate(&[old_keys, keys], 2)?,
                concatenate(&[old_values, values], 2)?,
            ),
            _ => (keys, values),
        };
        self.offset = keys.dim(2);
        self.keys = Some(keys.clone());
        self.values = Some(values.clone());
        Ok((keys, values))
    }

    /// The cached arrays, to evaluate them between prefill chunks.
    pub fn state(&self) -> impl Iterator<Item = &Array> {
        self.keys.iter().chain(self.values.iter())
    }
}

/// One cache per layer.
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
}
