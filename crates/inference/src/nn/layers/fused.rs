//! Projections of the same input computed as one matrix product.
//!
//! Attention's q/k/v and the MLP's gate/up read the same activations. Stacking their weights
//! along the output axis at load turns three (or two) products into one, so each decoding step
//! dispatches fewer kernels; the outputs come back as views of the one result. Every output
//! element is still the same dot product over the same inputs, so results are unchanged.

use mlx_rs::Array;
use mlx_rs::ops::concatenate;

use super::{DenseMatrix, Linear, Prologue, QuantizedMatrix};
use crate::InferenceError;

pub struct FusedLinear {
    kind: Kind,
}

enum Kind {
    /// One product; the outputs start at these column offsets (after the first).
    Stacked { linear: Linear, splits: Vec<i32> },
    /// The parts differ in kind (dense vs quantized, bits, bias), so they stay apart.
    Separate(Vec<Linear>),
}

impl FusedLinear {
    /// Stacks `parts` when they share a layout; the stacked weights are evaluated here, so
    /// the separate ones can be freed.
    pub fn new(parts: Vec<Linear>) -> Result<Self, InferenceError> {
        let Some(layout) = parts.first().map(Layout::of) else {
            return Err(InferenceError::Mlx("no projections to fuse".into()));
        };
        if parts.len() < 2 || parts.iter().any(|part| Layout::of(part) != layout) {
            return Ok(Self {
                kind: Kind::Separate(parts),
            });
        }
        let mut splits = Vec::with_capacity(parts.len() - 1);
        let mut offset = 0;
        for part in &parts[..parts.len() - 1] {
            offset += part.out_features();
            splits.push(offset);
        }
        let linear = stack(&parts)?;
        mlx_rs::transforms::eval(linear.arrays())?;
        // The separate weights are freed here; the next layer's, read next, reuse their memory
        // (see `Weights`), and the load hands back what is left at its end.
        drop(parts);
        Ok(Self {
            kind: Kind::Stacked { linear, splits },
        })
    }

    /// One output per part of `prologue(x)`, in order.
    pub fn forward_after(
        &self,
        x: &Array,
        prologue: &Prologue,
    ) -> Result<Vec<Array>, InferenceError> {
        match &self.kind {
            Kind::Stacked { linear, splits } => Ok(linear
                .forward_after(x, prologue)?
                .split_at_indices(splits, -1)?),
            Kind::Separate(parts) => {
                let x = prologue.apply(x)?;
                parts.iter().map(|part| part.forward(&x)).collect()
            }
        }
    }

    /// The parts' outputs side by side, as one array, when they are one product.
    pub fn forward_stacked(
        &self,
        x: &Array,
        prologue: &Prologue,
    ) -> Result<Option<Array>, InferenceError> {
        match &self.kind {
            Kind::Stacked { linear, .. } => Ok(Some(linear.forward_after(x, prologue)?)),
            Kind::Separate(_) => Ok(None),
        }
    }
}

/// What must match for weights to be stacked.
#[derive(PartialEq)]
enum Layout {
    Dense {
        bias: bool,
    },
    Quantized {
        bias: bool,
        bits: i32,
        group_size: i32,
        affine_biases: bool,
    },
}

impl Layout {
    fn of(linear: &Linear) -> Self {
        match linear {
            Linear::Dense { bias, .. } => Self::Dense {
                bias: bias.is_some(),
            },
            Linear::Quantized { matrix, bias } => Self::Quantized {
                bias: bias.is_some(),
                bits: matrix.quant.bits,
                group_size: matrix.quant.group_size,
                affine_biases: matrix.biases.is_some(),
            },
        }
    }
}

/// Concatenates the parts' arrays along the output axis (rows); the parts share a layout.
fn stack(parts: &[Linear]) -> Result<Linear, InferenceError> {
    let rows =
        |arrays: Vec<&Array>| -> Result<Array, InferenceError> { Ok(concatenate(&arrays, 0)?) };
    let biases = |parts: &[Linear]| -> Result<Option<Array>, InferenceError> {
        let biases: Option<Vec<&Array>> = parts.iter().map(Linear::bias).collect();
        biases.map(rows).transpose()
    };
    let bias = biases(parts)?;
    Ok(match &parts[0] {
        Linear::Dense { .. } => Linear::Dense {
            matrix: DenseMatrix::new(rows(parts.iter().map(|p| p.weight()).collect())?),
            bias,
        },
        Linear::Quantized { matrix, .. } => {
            let matrices: Vec<&QuantizedMatrix> = parts
                .iter()
                .filter_map(|part| match part {
                    Linear::Quantized { matrix, .. } => Some(matrix),
                    Linear::Dense { .. } => None,
                })
                .collect();
            let affine: Option<Vec<&Array>> = matrices.iter().map(|m| m.biases.as_ref()).collect();
            Linear::Quantized {
                matrix: QuantizedMatrix {
                    weight: rows(matrices.iter().map(|m| &m.weight).collect())?,
                    scales: rows(matrices.iter().map(|m| &m.scales).collect())?,
                    biases: affine.map(rows).transpose()?,
                    quant: matrix.quant,
                },
                bias,
            }
        }
    })
}
