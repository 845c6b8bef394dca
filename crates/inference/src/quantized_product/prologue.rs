//! What the product applies to each row of its input before multiplying, so the operations
//! that feed a projection need no operations of their own in the graph: the RMS norm before
//! the attention and MLP projections (and the output head), and SwiGLU (`silu(gate) · up`)
//! before the MLP's down projection. Each mirrors MLX's operations on the same values,
//! rounding to the activations' type where MLX does (for f32 activations, nowhere).

use super::values::read_row;
use crate::cpu_primitive::{Float, Tensor};

/// The kinds, as the primitive's parameter.
pub const NONE: i64 = 0;
pub const RMS_NORM: i64 = 1;
pub const SWIGLU: i64 = 2;

pub enum Prologue {
    None,
    /// `x · rsqrt(mean(x²) + eps) · weight`; the weight already rounded to `rounding`.
    RmsNorm {
        weight: Vec<f32>,
        eps: f32,
        rounding: Float,
    },
    /// The row holds `gate` then `up`, `k` values each.
    SwiGlu {
        rounding: Float,
    },
}

impl Prologue {
    /// The prologue of `kind`; `weight` is the norm's weight tensor.
    pub fn new(
        kind: i64,
        eps: f32,
        x: &Tensor,
        weight: Option<&Tensor>,
    ) -> Result<Self, &'static str> {
        let x_type = Float::of(x.dtype).ok_or("an input of an unsupported type")?;
        Ok(match kind {
            NONE => Self::None,
            SWIGLU => Self::SwiGlu { rounding: x_type },
            RMS_NORM => {
                let weight = weight.ok_or("the norm's weight is missing")?;
                let weight_type =
                    Float::of(weight.dtype).ok_or("a norm weight of an unsupported type")?;
                let rounding = x_type.promote(weight_type);
                let mut values = vec![0.0f32; weight.row_len()];
                read_row(weight, 0, &mut values)?;
                for value in &mut values {
                    *value = rounding.round(*value);
                }
                Self::RmsNorm {
                    weight: values,
                    eps,
                    rounding,
                }
            }
            _ => return Err("an unknown prologue"),
        })
    }

    /// Values of an input row per value of the product's rows.
    pub fn widening(&self) -> usize {
        match self {
            Self::SwiGlu { .. } => 2,
            Self::None | Self::RmsNorm { .. } => 1,
        }
    }

    /// One input row (`raw`, f32) into the product's row `out` (`k` values).
    pub fn apply(&self, raw: &[f32], out: &mut [f32]) {
        match self {
            Self::None => out.copy_from_slice(raw),
            Self::RmsNorm {
                weight,
                eps,
                rounding,
            } => {
                let sum: f32 = raw.iter().map(|v| v * v).sum();
                // MLX computes 1/dims in double precision and rounds it once.
                let normalizer = (1.0 / raw.len() as f64) as f32;
                let inverse = 1.0 / (sum * normalizer + eps).sqrt();
                for ((o, &v), &w) in out.iter_mut().zip(raw).zip(weight) {
                    *o = rounding.round(rounding.round(v * inverse) * w);
                }
            }
            Self::SwiGlu { rounding } => {
                let (gate, up) = raw.split_at(out.len());
                for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
                    let sigmoid = rounding.round(1.0 / (1.0 + (-g).exp()));
                    *o = rounding.round(rounding.round(g * sigmoid) * u);
                }
            }
        }
    }
}
