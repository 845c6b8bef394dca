//! What a projection applies to its input first: the RMS norm before a layer's projections and
//! the output head, SwiGLU before the MLP's down projection. A quantized projection on the CPU
//! applies it while reading its input (one operation in the graph instead of the prologue's
//! several); elsewhere it runs as MLX operations, as mlx-lm's modules do.

use mlx_rs::Array;
use mlx_rs::ops::sigmoid;

use crate::InferenceError;
use crate::nn::norm::RmsNorm;

pub enum Prologue<'a> {
    Nothing,
    Norm(&'a RmsNorm),
    /// The input holds the gate projection's values, then the up projection's (a stacked
    /// gate/up output): `silu(gate) · up`, as mlx-lm's `swiglu`.
    SwiGlu,
}

impl Prologue<'_> {
    /// The prologue as MLX operations.
    pub fn apply(&self, x: &Array) -> Result<Array, InferenceError> {
        match self {
            Self::Nothing => Ok(x.clone()),
            Self::Norm(norm) => norm.forward(x),
            Self::SwiGlu => {
                let half = x.dim(-1) / 2;
                let [gate, up]: [Array; 2] = x
                    .split_at_indices(&[half], -1)?
                    .try_into()
                    .map_err(|_| InferenceError::Mlx("SwiGLU input split wrongly".into()))?;
                swiglu(&gate, &up)
            }
        }
    }

    /// The same, for the CPU kernel (which checks it can run it).
    #[cfg(target_os = "linux")]
    pub fn for_kernel(&self) -> crate::quantized_product::Before<'_> {
        use crate::quantized_product::Before;
        match self {
            Self::Nothing => Before::Nothing,
            Self::Norm(norm) => Before::RmsNorm {
                weight: norm.weight(),
                eps: norm.eps(),
            },
            Self::SwiGlu => Before::SwiGlu,
        }
    }
}

/// `silu(gate) · up`, as mlx-lm's `swiglu`. Not mlx-rs's `silu`: that compiles a new function
/// on every call, and tracing it cost more than the two operations it fuses.
pub fn swiglu(gate: &Array, up: &Array) -> Result<Array, InferenceError> {
    Ok(gate.multiply(sigmoid(gate)?)?.multiply(up)?)
}
