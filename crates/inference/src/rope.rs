//! Rotary position embeddings, including Llama 3's frequency scaling.

use mlx_rs::Array;
use mlx_rs::fast::rope;
use mlx_rs::ops::{arange, power, select};

use crate::InferenceError;
use crate::config::ModelConfig;

pub struct Rope {
    dims: i32,
    traditional: bool,
    base: f32,
    /// Explicit per-dimension frequencies (Llama 3 scaling) replace `base`.
    freqs: Option<Array>,
}

impl Rope {
    pub fn new(config: &ModelConfig) -> Result<Self, InferenceError> {
        let dims = config.head_dim();
        let freqs = match &config.rope_scaling {
            Some(scaling) if scaling.rope_type.as_deref() == Some("llama3") => {
                Some(llama3_freqs(dims, config.rope_theta, scaling)?)
            }
            Some(scaling) if matches!(scaling.rope_type.as_deref(), Some("default") | None) => None,
            Some(scaling) => {
                return Err(InferenceError::Weight {
                    name: "rope_scaling".into(),
                    message: format!("unsupported rope type {:?}", scaling.rope_type),
                });
            }
            None => None,
        };
        Ok(Self {
            dims,
            traditional: config.rope_traditional,
            base: config.rope_theta,
            freqs,
        })
    }

    /// Rotates `[B, heads, L, dim]` for positions starting at `offset`.
    pub fn apply(&self, x: &Array, offset: i32) -> Result<Array, InferenceError> {
        let base = if self.freqs.is_some() {
            None
        } else {
            Some(self.base)
        };
        Ok(rope(
            x,
            self.dims,
            self.traditional,
            base,
            1.0,
            offset,
            self.freqs.as_ref(),
        )?)
    }
}

/// Llama 3's smoothed long-context frequencies, computed with MLX ops as mlx-lm does, so the
/// values agree to the bit.
fn llama3_freqs(
    dims: i32,
    base: f32,
    scaling: &crate::config::RopeScaling,
) -> Result<Array, InferenceError> {
    let factor = scaling.factor.unwrap_or(1.0);
    let low = scaling.low_freq_factor.unwrap_or(1.0);
    let high = scaling.high_freq_factor.unwrap_or(4.0);
    let old_context = scaling.original_max_position_embeddings.unwrap_or(8192.0);
    let low_wavelen = old_context / low;
    let high_wavelen = old_context / high;

    let exponents = arange::<_, f32>(0, dims, 2)?.divide(Array::from_f32(dims as f32))?;
    let freqs = power(Array::from_f32(base), exponents)?;
    let wavelens = freqs.multiply(Array::from_f32(2.0 * std::f32::consts::PI))?;
    let freqs = select(
        wavelens.gt(Array::from_f32(low_wavelen))?,
        freqs.multiply(Array::from_f32(factor))?,
        &freqs,
    )?;
    let medium = wavelens
        .gt(Array::from_f32(high_wavelen))?
        .logical_and(wavelens.lt(Array::from_f32(low_wavelen))?)?;
    let smooth = Array::from_f32(old_context)
        .divide(&wavelens)?
        .subtract(Array::from_f32(low))?
        .divide(Array::from_f32(high - low))?;
    let one_minus = Array::from_f32(1.0).subtract(&smooth)?;
    let smooth_freqs = freqs.divide(one_minus.divide(Array::from_f32(factor))?.add(&smooth)?)?;
    Ok(select(medium, smooth_freqs, freqs)?)
}
