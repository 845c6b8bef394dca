//! Scaled dot-product attention for one new token on the CPU.
//!
//! On the CPU, `fast::scaled_dot_product_attention` expands into MLX's reference graph. With
//! grouped-query attention that graph gives every query head its own batch entry, so it needs
//! extra axes, broadcasts of the keys and values to every query head, and a flattening after —
//! about a dozen operations a layer. For a single query position the query heads that share a
//! key/value head can instead be the rows of one product: `[kv_heads, group, dim] · keysᵀ`. Each
//! score is still the dot product of one query with one key, and the softmax and the weighted sum
//! are the reference's. Only the summation order inside BLAS may differ once a group has four or
//! more rows, so values agree to rounding (tested below; the mlx-lm parity tests still see the
//! same tokens).

use std::cell::RefCell;

use mlx_rs::ops::softmax_axis;
use mlx_rs::{Array, Dtype};

use crate::InferenceError;

pub struct DecodeAttention {
    heads: i32,
    kv_heads: i32,
    scale: f32,
    /// `scale` cast to the queries' dtype and shaped `[1, heads, 1, dim]`, made on first use.
    scale_array: RefCell<Option<Array>>,
}

impl DecodeAttention {
    /// `None` where the fused kernel is better: on a GPU, or without grouped queries (there the
    /// reference graph is already this one).
    pub fn new(heads: i32, kv_heads: i32, scale: f32, on_cpu: bool) -> Option<Self> {
        (on_cpu && kv_heads > 0 && heads > kv_heads && heads % kv_heads == 0).then(|| Self {
            heads,
            kv_heads,
            scale,
            scale_array: RefCell::new(None),
        })
    }

    /// Attention of `queries: [1, heads, 1, dim]` over `keys`/`values: [1, kv_heads, S, dim]`;
    /// returns `[1, heads · dim]`, the layout the output projection takes.
    pub fn forward(
        &self,
        queries: &Array,
        keys: &Array,
        values: &Array,
    ) -> Result<Array, InferenceError> {
        #[cfg(target_os = "linux")]
        if let Some(output) = crate::attention_kernel::decode_attention(
            queries,
            keys,
            values,
            self.kv_heads,
            self.scale,
        )? {
            return Ok(output);
        }
        let dim = queries.dim(-1);
        let group = self.heads / self.kv_heads;
        let scale = self.scale_for(queries.dtype(), dim)?;
        let queries = scale
            .multiply(queries)?
            .reshape(&[1, self.kv_heads, group, dim])?;
        let scores = queries.matmul(keys.swap_axes(-1, -2)?)?;
        let weights = softmax_axis(&scores, -1, true)?;
        Ok(weights.matmul(values)?.reshape(&[1, self.heads * dim])?)
    }

    fn scale_for(&self, dtype: Dtype, dim: i32) -> Result<Array, InferenceError> {
        let mut cached = self.scale_array.borrow_mut();
        if let Some(scale) = cached.as_ref()
            && scale.dtype() == dtype
            && scale.dim(-1) == dim
        {
            return Ok(scale.clone());
        }
        let count = (self.heads * dim).max(0) as usize;
        // As the reference: the f32 scale converted to the queries' dtype.
        let scale = Array::from_slice(&vec![self.scale; count], &[1, self.heads, 1, dim])
            .as_dtype(dtype)?;
        scale.eval()?;
        *cached = Some(scale.clone());
        Ok(scale)
    }
}

#[cfg(test)]
mod tests {
    use mlx_rs::fast::scaled_dot_product_attention;

    use mlx_rs::ops::indexing::IndexOp;

    use super::*;
    use crate::test_values::spread;

    fn compare_with_fast_attention() {
        for dtype in [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16] {
            for (heads, kv_heads) in [(4, 2), (8, 2), (6, 1)] {
                for cached in [1, 7, 300] {
                    let dim = 16;
                    let q = spread(&[1, heads, 1, dim], 1).as_dtype(dtype).unwrap();
                    // Views of the first `cached` positions of larger buffers, as the cache
                    // hands them over.
                    let view = |seed| {
                        spread(&[1, kv_heads, cached + 5, dim], seed)
                            .as_dtype(dtype)
                            .unwrap()
                            .index((.., .., ..cached, ..))
                    };
                    let (k, v) = (view(2), view(3));
                    let scale = (dim as f32).powf(-0.5);
                    let attention = DecodeAttention::new(heads, kv_heads, scale, true).unwrap();
                    let ours = attention.forward(&q, &k, &v).unwrap();
                    let reference = scaled_dot_product_attention(&q, &k, &v, scale, None, None)
                        .unwrap()
                        .reshape(&[1, heads * dim])
                        .unwrap();
                    let case = format!("{dtype:?}, {heads}/{kv_heads} heads, {cached} cached");
                    assert_eq!(ours.dtype(), reference.dtype(), "{case}");
                    let (ours, reference) = (
                        ours.as_dtype(Dtype::Float32).unwrap(),
                        reference.as_dtype(Dtype::Float32).unwrap(),
                    );
                    // Rounding only: a few units in the last place of the dtype.
                    let tolerance = match dtype {
                        Dtype::Float32 => 1e-5,
                        _ => 1e-2,
                    };
                    let worst = ours
                        .as_slice::<f32>()
                        .iter()
                        .zip(reference.as_slice::<f32>())
                        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                        .fold(0.0f32, f32::max);
                    assert!(worst <= tolerance, "{case}: relative difference {worst}");
                }
            }
        }
    }

    /// On the CPU, where it replaces the reference graph.
    #[test]
    fn one_token_attention_agrees_with_the_reference_graph_to_rounding() {
        mlx_rs::with_device(mlx_rs::Device::cpu(), compare_with_fast_attention);
    }

    #[test]
    fn only_grouped_queries_on_the_cpu_take_this_path() {
        assert!(DecodeAttention::new(4, 2, 0.25, true).is_some());
        assert!(DecodeAttention::new(4, 4, 0.25, true).is_none());
        assert!(DecodeAttention::new(4, 2, 0.25, false).is_none());
        assert!(DecodeAttention::new(4, 3, 0.25, true).is_none());
    }
}
