//! The two layer kinds every architecture is made of: linear projections and token
//! embeddings, each dense or MLX-affine-quantized.
//!
//! The arithmetic mirrors mlx-lm's `nn.Linear`, `nn.QuantizedLinear`, `nn.Embedding` and
//! `nn.QuantizedEmbedding` op for op, so results match the reference bit for bit.

use mlx_rs::Array;
use mlx_rs::ops::{addmm, dequantize, quantized_matmul};

use super::weights::Weights;
use crate::InferenceError;
use crate::model_config::QuantizationConfig;

mod fused;
mod prologue;
pub use fused::FusedLinear;
pub use prologue::{Prologue, swiglu};

/// An MLX affine-quantized matrix: packed weights with per-group scales and biases.
pub struct QuantizedMatrix {
    weight: Array,
    scales: Array,
    biases: Option<Array>,
    quant: QuantizationConfig,
}

impl QuantizedMatrix {
    fn take(
        weights: &mut Weights,
        prefix: &str,
        weight: Array,
        quant: QuantizationConfig,
    ) -> Result<Self, InferenceError> {
        Ok(Self {
            weight,
            scales: weights.take(&format!("{prefix}.scales"))?,
            biases: weights.take_optional(&format!("{prefix}.biases")),
            quant,
        })
    }

    /// `x · Wᵀ` without unpacking W.
    fn matmul_transposed(&self, x: &Array) -> Result<Array, InferenceError> {
        self.matmul_transposed_after(x, &Prologue::Nothing)
    }

    /// `prologue(x) · Wᵀ`: on the CPU by our kernel, the prologue applied as it reads `x` (MLX's
    /// kernel is a scalar loop there), elsewhere by MLX's operations.
    fn matmul_transposed_after(
        &self,
        x: &Array,
        prologue: &Prologue,
    ) -> Result<Array, InferenceError> {
        let q = self.quant;
        #[cfg(target_os = "linux")]
        if let Some(biases) = &self.biases
            && let Some(product) = crate::quantized_product::matmul_transposed(
                x,
                &self.weight,
                &self.scales,
                biases,
                (q.bits, q.group_size),
                prologue.for_kernel(),
            )?
        {
            return Ok(product);
        }
        let x = prologue.apply(x)?;
        Ok(quantized_matmul(
            &x,
            &self.weight,
            &self.scales,
            self.biases.as_ref(),
            true,
            q.group_size,
            q.bits,
        )?)
    }

    /// The unpacked rows for `ids` (an embedding lookup).
    fn rows(&self, ids: &Array) -> Result<Array, InferenceError> {
        let rows = self.weight.take_axis(ids, 0)?;
        let scales = self.scales.take_axis(ids, 0)?;
        let biases = self
            .biases
            .as_ref()
            .map(|b| b.take_axis(ids, 0))
            .transpose()?;
        Ok(dequantize(
            &rows,
            &scales,
            biases.as_ref(),
            self.quant.group_size,
            self.quant.bits,
        )?)
    }
}

/// A dense matrix and its transpose, made once at load: `weight.t()` in every product would
/// add an operation to every step's graph.
pub struct DenseMatrix {
    weight: Array,
    /// A view (evaluating it shares the weight's memory); evaluated with the layer's other
    /// arrays ([`Linear::arrays`]) once the weights are read, not one by one here.
    transposed: Array,
}

impl DenseMatrix {
    pub fn new(weight: Array) -> Self {
        let transposed = weight.t();
        Self { weight, transposed }
    }

    /// `x · Wᵀ`.
    fn matmul_transposed(&self, x: &Array) -> Result<Array, InferenceError> {
        Ok(x.matmul(&self.transposed)?)
    }
}

/// A projection `x · Wᵀ (+ b)`.
pub enum Linear {
    Dense {
        matrix: DenseMatrix,
        bias: Option<Array>,
    },
    Quantized {
        matrix: QuantizedMatrix,
        bias: Option<Array>,
    },
}

impl Linear {
    pub fn load(
        weights: &mut Weights,
        prefix: &str,
        with_bias: bool,
        in_features: i32,
    ) -> Result<Self, InferenceError> {
        let bias = match with_bias {
            true => Some(weights.take(&format!("{prefix}.bias"))?),
            false => None,
        };
        let quantized = weights.quantized(prefix, in_features)?;
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match quantized {
            None => Self::Dense {
                matrix: DenseMatrix::new(weight),
                bias,
            },
            Some(quant) => Self::Quantized {
                matrix: QuantizedMatrix::take(weights, prefix, weight, quant)?,
                bias,
            },
        })
    }

    /// `prologue(x) · Wᵀ (+ b)`: a quantized projection on the CPU applies the prologue as it
    /// reads `x`, one operation instead of the prologue's several.
    pub fn forward_after(&self, x: &Array, prologue: &Prologue) -> Result<Array, InferenceError> {
        match self {
            Self::Quantized { matrix, bias } => {
                let product = matrix.matmul_transposed_after(x, prologue)?;
                Ok(match bias {
                    Some(bias) => product.add(bias)?,
                    None => product,
                })
            }
            Self::Dense { .. } => self.forward(&prologue.apply(x)?),
        }
    }

    pub fn forward(&self, x: &Array) -> Result<Array, InferenceError> {
        Ok(match self {
            Self::Dense { matrix, bias: None } => matrix.matmul_transposed(x)?,
            Self::Dense {
                matrix,
                bias: Some(bias),
            } => addmm(bias, x, &matrix.transposed, None, None)?,
            Self::Quantized { matrix, bias: None } => matrix.matmul_transposed(x)?,
            Self::Quantized {
                matrix,
                bias: Some(bias),
            } => matrix.matmul_transposed(x)?.add(bias)?,
        })
    }

    /// The (packed, when quantized) weight matrix.
    fn weight(&self) -> &Array {
        match self {
            Self::Dense {
                matrix: DenseMatrix { weight, .. },
                ..
            }
            | Self::Quantized {
                matrix: QuantizedMatrix { weight, .. },
                ..
            } => weight,
        }
    }

    fn bias(&self) -> Option<&Array> {
        match self {
            Self::Dense { bias, .. } | Self::Quantized { bias, .. } => bias.as_ref(),
        }
    }

    /// Every array the layer holds, to evaluate them.
    pub fn arrays(&self) -> Vec<&Array> {
        let mut arrays = vec![self.weight()];
        arrays.extend(self.bias());
        match self {
            Self::Dense { matrix, .. } => arrays.push(&matrix.transposed),
            Self::Quantized { matrix, .. } => {
                arrays.push(&matrix.scales);
                arrays.extend(matrix.biases.as_ref());
            }
        }
        arrays
    }

    /// Output features (rows of the weight).
    pub fn out_features(&self) -> i32 {
        match self {
            Self::Dense {
                matrix: DenseMatrix { weight, .. },
                ..
            }
            | Self::Quantized {
                matrix: QuantizedMatrix { weight, .. },
                ..
            } => weight.dim(0),
        }
    }
}

/// A token embedding table, which tied models also use as their output projection.
pub enum Embedding {
    Dense(DenseMatrix),
    Quantized(QuantizedMatrix),
}

impl Embedding {
    pub fn load(weights: &mut Weights, prefix: &str, dims: i32) -> Result<Self, InferenceError> {
        let quantized = weights.quantized(prefix, dims)?;
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match quantized {
            None => Self::Dense(DenseMatrix::new(weight)),
            Some(quant) => Self::Quantized(QuantizedMatrix::take(weights, prefix, weight, quant)?),
        })
    }

    /// Rows for token ids of any shape: `[…] -> […, hidden]`.
    pub fn forward(&self, ids: &Array) -> Result<Array, InferenceError> {
        match self {
            Self::Dense(matrix) => Ok(matrix.weight.take_axis(ids, 0)?),
            Self::Quantized(matrix) => matrix.rows(ids),
        }
    }

    /// The tied output projection after `prologue`: `prologue(x) · Eᵀ`.
    pub fn as_linear_after(&self, x: &Array, prologue: &Prologue) -> Result<Array, InferenceError> {
        match self {
            Self::Dense(matrix) => matrix.matmul_transposed(&prologue.apply(x)?),
            Self::Quantized(matrix) => matrix.matmul_transposed_after(x, prologue),
        }
    }

    /// Every array the table holds, to evaluate them.
    pub fn arrays(&self) -> Vec<&Array> {
        match self {
            Self::Dense(matrix) => vec![&matrix.weight, &matrix.transposed],
            Self::Quantized(matrix) => {
                let mut arrays = vec![&matrix.weight, &matrix.scales];
                arrays.extend(matrix.biases.as_ref());
                arrays
            }
        }
    }

    pub fn rows(&self) -> i32 {
        match self {
            Self::Dense(DenseMatrix { weight, .. })
            | Self::Quantized(QuantizedMatrix { weight, .. }) => weight.dim(0),
        }
    }
}
