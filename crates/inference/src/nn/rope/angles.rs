//! Rotary embeddings as MLX's CPU reference graph computes them (`fast::rope`'s fallback in
//! `mlx/fast.cpp`), with the angle part done once per forward pass instead of once per call.
//! The operations and their order are the reference's, so the values are identical.

use std::cell::RefCell;

use mlx_rs::ops::indexing::{Ellipsis, IndexOp, IntoStrideBy};
use mlx_rs::ops::{arange, broadcast_to, concatenate};
use mlx_rs::{Array, Dtype};

use crate::InferenceError;

/// `1 / frequency` for each rotated pair: `exp(-i · ln(base) / (dims/2))`, or the reciprocal of
/// explicit frequencies (Llama 3 scaling), in f32 as the reference computes them.
pub fn inverse_freqs(dims: i32, base: f32, freqs: Option<&Array>) -> Result<Array, InferenceError> {
    let half = dims / 2;
    Ok(match freqs {
        Some(freqs) => freqs.as_dtype(Dtype::Float32)?.reciprocal()?,
        None => arange::<_, f32>(0, -half, -1)?
            .multiply(Array::from_f32(base.ln() / half as f32))?
            .exp()?,
    })
}

/// Cosines and sines of one forward pass's angles. For each head count and dtype they meet,
/// they are cast and broadcast to `[B, heads, L, dims/2]` once, so rotating needs neither.
pub struct RopeAngles {
    /// `[L, dims/2]`, or `[B, 1, 1, dims/2]` for one position per row.
    cos: Array,
    sin: Array,
    batch: i32,
    len: i32,
    prepared: RefCell<Vec<Prepared>>,
}

struct Prepared {
    heads: i32,
    dtype: Dtype,
    cos: Array,
    sin: Array,
}

impl RopeAngles {
    pub fn new(
        inverse_freqs: &Array,
        [batch, len]: [i32; 2],
        offset: i32,
    ) -> Result<Self, InferenceError> {
        // The reference also multiplies the positions by `scale`, which is 1 here: a no-op.
        let positions = arange::<_, f32>(0, len, 1)?.add(Array::from_int(offset))?;
        let theta = positions.expand_dims(-1)?.multiply(inverse_freqs)?;
        Ok(Self {
            cos: theta.cos()?,
            sin: theta.sin()?,
            batch,
            len,
            prepared: RefCell::new(Vec::with_capacity(2)),
        })
    }

    /// One position per row of a batch: row `i` at `offsets[i]` (several sequences' next
    /// tokens). Each row's angles are computed as [`RopeAngles::new`] computes them for that
    /// position alone, so they are identical.
    pub fn for_rows(inverse_freqs: &Array, offsets: &[i32]) -> Result<Self, InferenceError> {
        let batch = offsets.len() as i32;
        let positions: Vec<f32> = offsets.iter().map(|&offset| offset as f32).collect();
        let positions = Array::from_slice(&positions, &[batch, 1, 1, 1]);
        let theta = positions.multiply(inverse_freqs)?;
        Ok(Self {
            cos: theta.cos()?,
            sin: theta.sin()?,
            batch,
            len: 1,
            prepared: RefCell::new(Vec::with_capacity(2)),
        })
    }

    /// `(cos, sin)` cast to `dtype` and broadcast for `heads`.
    fn prepared(&self, heads: i32, dtype: Dtype) -> Result<(Array, Array), InferenceError> {
        let mut prepared = self.prepared.borrow_mut();
        if let Some(found) = prepared
            .iter()
            .find(|p| p.heads == heads && p.dtype == dtype)
        {
            return Ok((found.cos.clone(), found.sin.clone()));
        }
        let shape = [self.batch, heads, self.len, self.cos.dim(-1)];
        let cos = broadcast_to(self.cos.as_dtype(dtype)?, &shape)?;
        let sin = broadcast_to(self.sin.as_dtype(dtype)?, &shape)?;
        prepared.push(Prepared {
            heads,
            dtype,
            cos: cos.clone(),
            sin: sin.clone(),
        });
        Ok((cos, sin))
    }

    /// Rotates the first `dims` features of `x: [B, heads, L, head_dim]`.
    pub fn rotate(&self, x: &Array, dims: i32, traditional: bool) -> Result<Array, InferenceError> {
        let heads = x.dim(1);
        let (cos, sin) = self.prepared(heads, x.dtype())?;
        #[cfg(target_os = "linux")]
        if let Some(rotated) = crate::rope_kernel::rotate(x, &cos, &sin, dims, traditional)? {
            return Ok(rotated);
        }
        let half = dims / 2;
        let (x1, x2) = match traditional {
            true => (
                x.index((Ellipsis, (0..dims).stride_by(2))),
                x.index((Ellipsis, (1..dims).stride_by(2))),
            ),
            false => (x.index((Ellipsis, ..half)), x.index((Ellipsis, half..dims))),
        };
        let first = x1.multiply(&cos)?.subtract(x2.multiply(&sin)?)?;
        let second = x1.multiply(&sin)?.add(x2.multiply(&cos)?)?;
        let rest = (dims < x.dim(-1)).then(|| x.index((Ellipsis, dims..)));
        Ok(match traditional {
            true => {
                let pairs = concatenate(&[first.expand_dims(-1)?, second.expand_dims(-1)?], -1)?
                    .reshape(&[x.dim(0), heads, x.dim(2), dims])?;
                match rest {
                    Some(rest) => concatenate(&[pairs, rest], -1)?,
                    None => pairs,
                }
            }
            false => {
                let mut parts = vec![first, second];
                parts.extend(rest);
                concatenate(&parts, -1)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use mlx_rs::Array;
    use mlx_rs::fast::rope;
    use mlx_rs::ops::indexing::IndexOp;

    use super::*;
    use crate::test_values::spread;

    /// A deterministic `[1, heads, len, head_dim]` input.
    fn input(heads: i32, len: i32, head_dim: i32, dtype: Dtype) -> Array {
        spread(&[1, heads, len, head_dim], 0)
            .as_dtype(dtype)
            .unwrap()
    }

    fn assert_bit_identical(ours: &Array, reference: &Array, case: &str) {
        assert_eq!(ours.shape(), reference.shape(), "{case}: shape");
        assert_eq!(ours.dtype(), reference.dtype(), "{case}: dtype");
        let (ours, reference) = (
            ours.as_dtype(Dtype::Float32).unwrap(),
            reference.as_dtype(Dtype::Float32).unwrap(),
        );
        let (ours, reference) = (ours.as_slice::<f32>(), reference.as_slice::<f32>());
        let differing = ours
            .iter()
            .zip(reference)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            differing, 0,
            "{case}: {differing} values differ from fast::rope"
        );
    }

    /// On the CPU, where the shared angles are used (a GPU runs `fast::rope`'s own kernel).
    #[test]
    fn shared_angles_rotate_exactly_as_fast_rope() {
        mlx_rs::with_device(mlx_rs::Device::cpu(), compare_with_fast_rope);
    }

    fn compare_with_fast_rope() {
        let llama3_like =
            Array::from_slice(&[1.0f32, 3.5, 12.0, 40.0, 90.0, 300.0, 999.0, 4096.0], &[8]);
        for traditional in [false, true] {
            for (dims, head_dim) in [(16, 16), (8, 16)] {
                for freqs in [None, Some(&llama3_like).filter(|_| dims == 16)] {
                    for dtype in [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16] {
                        for (len, offset) in [(1, 0), (1, 777), (5, 3), (9, 0)] {
                            let case = format!(
                                "traditional {traditional}, dims {dims}/{head_dim}, freqs {}, \
                                 {dtype:?}, len {len}, offset {offset}",
                                freqs.is_some()
                            );
                            let base = 10_000.0;
                            let angles = RopeAngles::new(
                                &inverse_freqs(dims, base, freqs).unwrap(),
                                [1, len],
                                offset,
                            )
                            .unwrap();
                            for heads in [4, 2] {
                                let x = input(heads, len, head_dim, dtype);
                                let ours = angles.rotate(&x, dims, traditional).unwrap();
                                let reference = rope(
                                    &x,
                                    dims,
                                    traditional,
                                    freqs.is_none().then_some(base),
                                    1.0,
                                    offset,
                                    freqs,
                                )
                                .unwrap();
                                assert_bit_identical(&ours, &reference, &case);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rotation_changes_values_so_the_comparison_can_fail() {
        let x = input(2, 3, 16, Dtype::Float32);
        let angles =
            RopeAngles::new(&inverse_freqs(16, 10_000.0, None).unwrap(), [1, 3], 5).unwrap();
        let rotated = angles.rotate(&x, 16, false).unwrap();
        let moved = rotated
            .index((.., .., 1..))
            .subtract(x.index((.., .., 1..)))
            .unwrap();
        assert!(moved.abs().unwrap().max(None).unwrap().item_exact::<f32>() > 0.1);
    }
}
