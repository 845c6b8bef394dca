//! Rotary position embeddings, including Llama 3's frequency scaling.
//!
//! On a GPU, `mlx::fast::rope` is one fused kernel. On the CPU, MLX has no such kernel and
//! expands every call into its reference graph of about thirty small operations (positions,
//! angles, sines, cosines, rotation), which a decoding step would pay four times per layer. There
//! the same graph is split in two: [`RopeAngles`] computes the sines and cosines once per
//! forward pass, and every layer's queries and keys only rotate with them — the same operations
//! on the same values, so the results are bit-for-bit those of `fast::rope`.

use mlx_rs::Array;
use mlx_rs::fast::rope;
use mlx_rs::ops::{arange, power, select};

use crate::InferenceError;
use crate::model_config::ModelConfig;

mod angles;
pub use angles::RopeAngles;

pub struct Rope {
    dims: i32,
    traditional: bool,
    base: f32,
    /// Explicit per-dimension frequencies (Llama 3 scaling) replace `base`.
    freqs: Option<Array>,
    /// `1 / frequency` per rotated pair, when angles are shared (on the CPU); `None` on a GPU,
    /// where `fast::rope` runs as one kernel.
    inverse_freqs: Option<Array>,
}

impl Rope {
    /// `on_cpu`: share angles across layers instead of calling `fast::rope`.
    pub fn new(config: &ModelConfig, on_cpu: bool) -> Result<Self, InferenceError> {
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
        let mut rope = Self {
            dims,
            traditional: config.rope_traditional,
            base: config.rope_theta,
            freqs,
            inverse_freqs: None,
        };
        if on_cpu {
            rope.share_angles()?;
        }
        Ok(rope)
    }

    /// Switches to angles computed once per forward pass ([`Rope::angles`]).
    fn share_angles(&mut self) -> Result<(), InferenceError> {
        let inverse = angles::inverse_freqs(self.dims, self.base, self.freqs.as_ref())?;
        inverse.eval()?;
        self.inverse_freqs = Some(inverse);
        Ok(())
    }

    /// The sines and cosines for `len` positions from `offset`; `None` where `fast::rope` is
    /// used instead.
    pub fn angles(
        &self,
        batch: i32,
        len: i32,
        offset: i32,
    ) -> Result<Option<RopeAngles>, InferenceError> {
        self.inverse_freqs
            .as_ref()
            .map(|inverse| RopeAngles::new(inverse, [batch, len], offset))
            .transpose()
    }

    /// The sines and cosines for one position per row (row `i` at `offsets[i]`); `None` where
    /// `fast::rope` is used instead (it takes one offset for all rows).
    pub fn row_angles(&self, offsets: &[i32]) -> Result<Option<RopeAngles>, InferenceError> {
        self.inverse_freqs
            .as_ref()
            .map(|inverse| RopeAngles::for_rows(inverse, offsets))
            .transpose()
    }

    /// Rotates `[B, heads, L, dim]`, with the shared angles when given.
    pub fn rotate(
        &self,
        x: &Array,
        offset: i32,
        angles: Option<&RopeAngles>,
    ) -> Result<Array, InferenceError> {
        match angles {
            Some(angles) => angles.rotate(x, self.dims, self.traditional),
            None => self.apply(x, offset),
        }
    }

    /// Rotates `[B, heads, L, dim]` for positions starting at `offset` with `fast::rope`.
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
    scaling: &crate::model_config::RopeScaling,
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
