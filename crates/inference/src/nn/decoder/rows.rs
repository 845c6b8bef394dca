//! Several sequences in one forward pass: each brings some new positions (one token while it
//! decodes, a chunk of its prompt while it joins), laid out as consecutive rows. Everything but
//! attention — projections, norms, rotary embeddings, the MLP — runs once over all rows, so the
//! weights are read once for the whole batch; each sequence's rows attend over its own cache,
//! so sequences of any lengths batch without padding or masks.

use mlx_rs::Array;
use mlx_rs::ops::concatenate;
use mlx_rs::ops::indexing::IndexOp;

use super::{Attention, Decoder};
use crate::InferenceError;
use crate::nn::kv_cache::{KvCache, LayerCache};
use crate::nn::norm::RmsNorm;
use crate::nn::rope::{Rope, RopeAngles};

/// Rotary angles for a batch's rows: one set for all rows (each with its own position), or one
/// per sequence where `fast::rope` rotates (it takes one offset).
enum RowAngles {
    Together(RopeAngles),
    Each(Vec<Option<RopeAngles>>),
}

impl Attention {
    /// `lens[i]` consecutive rows of `x` are sequence `i`'s new positions, from its cache's
    /// position; each attends (causally) over that cache, which it extends.
    fn forward_rows(
        &self,
        x: &Array,
        norm: &RmsNorm,
        caches: &mut [&mut LayerCache],
        lens: &[i32],
        rope: &Rope,
        angles: &RowAngles,
    ) -> Result<Array, InferenceError> {
        let [queries, keys, values] = self.project(x, norm)?;
        let mut outputs = Vec::with_capacity(caches.len());
        let starts = lens.iter().scan(0, |next, &len| {
            let start = *next;
            *next += len;
            Some(start)
        });
        let parts = caches.iter_mut().zip(lens).zip(starts);
        match angles {
            RowAngles::Together(angles) => {
                let rows = x.dim(0);
                let split = |y: Array, heads: i32, norm: Option<&RmsNorm>| {
                    let y = y.reshape(&[rows, heads, 1, -1])?;
                    match norm {
                        Some(norm) => norm.forward(&y),
                        None => Ok(y),
                    }
                };
                let queries = split(queries, self.heads, self.q_norm.as_ref())?;
                let keys = split(keys, self.kv_heads, self.k_norm.as_ref())?;
                let queries = rope.rotate(&queries, 0, Some(angles))?;
                let keys = rope.rotate(&keys, 0, Some(angles))?;
                let values = values.reshape(&[rows, self.kv_heads, 1, -1])?;
                for ((cache, &len), start) in parts {
                    // `[len, heads, 1, dim]` → `[1, heads, len, dim]` (one row: already so).
                    let pick = |all: &Array| -> Result<Array, InferenceError> {
                        let part = all.index(start..start + len);
                        Ok(match len {
                            1 => part,
                            _ => part.transpose_axes(&[2, 1, 0, 3])?,
                        })
                    };
                    let (keys, values) = cache.update_and_fetch(pick(&keys)?, pick(&values)?)?;
                    outputs.push(self.attention(&pick(&queries)?, &keys, &values, len)?);
                }
            }
            RowAngles::Each(angles) => {
                for (((cache, &len), start), angles) in parts.zip(angles) {
                    let pick = |all: &Array| all.index(start..start + len);
                    outputs.push(self.attend(
                        pick(&queries),
                        pick(&keys),
                        pick(&values),
                        cache,
                        rope,
                        angles.as_ref(),
                    )?);
                }
            }
        }
        self.o_proj.forward(&concatenate(&outputs, 0)?)
    }
}

impl Decoder {
    /// Logits `[B, vocab]` after the new positions of each of `B` sequences: `ids` holds
    /// `lens[i]` consecutive tokens for sequence `i`, extending `caches[i]` from its position,
    /// and row `i` of the result predicts what follows sequence `i`'s last one. Only those `B`
    /// rows go through the output head.
    pub fn forward_rows(
        &self,
        ids: &Array,
        caches: &mut [&mut KvCache],
        lens: &[i32],
    ) -> Result<Array, InferenceError> {
        let rows: i32 = lens.iter().sum();
        if caches.len() != lens.len() || ids.size() != rows as usize || lens.contains(&0) {
            return Err(InferenceError::Mlx(format!(
                "{} tokens for {} sequences of {lens:?} new positions",
                ids.size(),
                caches.len(),
            )));
        }
        let mut h = self.embed.forward(ids)?;
        let offsets: Vec<i32> = caches.iter().map(|cache| cache.offset()).collect();
        let positions: Vec<i32> = offsets
            .iter()
            .zip(lens)
            .flat_map(|(&offset, &len)| offset..offset + len)
            .collect();
        let angles = match self.rope.row_angles(&positions)? {
            Some(angles) => RowAngles::Together(angles),
            None => RowAngles::Each(
                offsets
                    .iter()
                    .zip(lens)
                    .map(|(&offset, &len)| self.rope.angles(1, len, offset))
                    .collect::<Result<_, _>>()?,
            ),
        };
        for (index, layer) in self.layers.iter().enumerate() {
            let mut layer_caches: Vec<&mut LayerCache> =
                caches.iter_mut().map(|c| &mut c.layers[index]).collect();
            let attended = layer.attention.forward_rows(
                &h,
                &layer.input_norm,
                &mut layer_caches,
                lens,
                &self.rope,
                &angles,
            )?;
            let h_attn = h.add(attended)?;
            h = h_attn.add(layer.mlp.forward(&h_attn, &layer.post_attention_norm)?)?;
        }
        // Each sequence's last row, unless every sequence has one.
        if rows as usize != lens.len() {
            let last: Vec<i32> = lens
                .iter()
                .scan(0, |end, &len| {
                    *end += len;
                    Some(*end - 1)
                })
                .collect();
            h = h.take_axis(Array::from_slice(&last, &[last.len() as i32]), 0)?;
        }
        self.head(&h)
    }
}
