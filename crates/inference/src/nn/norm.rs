//! RMS normalisation.
//!
//! On a GPU, `fast::rms_norm` is one kernel. On the CPU, MLX expands it into its reference graph
//! (`mlx/fast.cpp`), in which three of the eleven operations only broadcast scalars and the
//! weight to the input's shape. Here the CPU runs the same graph with those operands already
//! shaped for the common case: the same operations on the same values, so the results are
//! bit-for-bit those of `fast::rms_norm`, with fewer operations per decoding step.

use std::cell::RefCell;

use mlx_rs::fast::rms_norm;
use mlx_rs::{Array, Dtype};

use crate::InferenceError;

pub struct RmsNorm {
    weight: Array,
    eps: f32,
    /// Set on the CPU: operands shaped ahead of time.
    shaped: Option<Shaped>,
}

struct Shaped {
    /// The weight as `[1, …, 1, dims]`, for inputs of that many dimensions.
    weight: Array,
    /// `1/dims` and `eps` per shape of the row sums they meet (usually one or two shapes).
    constants: RefCell<Vec<(Vec<i32>, Array, Array)>>,
}

impl RmsNorm {
    /// `weight: [dims]`; `input_ndim` is the rank of the inputs it normalises most often;
    /// `on_cpu` selects the shaped graph over `fast::rms_norm`.
    pub fn new(
        weight: Array,
        eps: f32,
        input_ndim: usize,
        on_cpu: bool,
    ) -> Result<Self, InferenceError> {
        let shaped = match on_cpu {
            false => None,
            true => {
                let mut shape = vec![1; input_ndim.max(1)];
                shape[input_ndim.max(1) - 1] = weight.dim(0);
                let weight = weight.reshape(&shape)?;
                weight.eval()?;
                Some(Shaped {
                    weight,
                    constants: RefCell::new(Vec::new()),
                })
            }
        };
        Ok(Self {
            weight,
            eps,
            shaped,
        })
    }

    pub fn weight(&self) -> &Array {
        &self.weight
    }

    pub fn eps(&self) -> f32 {
        self.eps
    }

    pub fn forward(&self, x: &Array) -> Result<Array, InferenceError> {
        match &self.shaped {
            None => Ok(rms_norm(x, Some(&self.weight), self.eps)?),
            Some(shaped) => self.reference_graph(x, shaped),
        }
    }

    /// `x · rsqrt(mean(x²) + eps) · weight`, operation for operation as MLX's CPU fallback.
    fn reference_graph(&self, x: &Array, shaped: &Shaped) -> Result<Array, InferenceError> {
        let out_type = promote(x.dtype(), self.weight.dtype());
        let x32 = x.as_dtype(Dtype::Float32)?;
        let sums = x32.square()?.sum_axis(-1, true)?;
        let (normalizer, eps) = shaped.constants(sums.shape(), x.dim(-1), self.eps)?;
        let inverse_rms = sums.multiply(&normalizer)?.add(&eps)?.rsqrt()?;
        let normalized = x32.multiply(&inverse_rms)?.as_dtype(out_type)?;
        let weight = match shaped.weight.ndim() == x.ndim() {
            true => &shaped.weight,
            false => &self.weight,
        };
        Ok(normalized.multiply(weight.as_dtype(out_type)?)?)
    }
}

impl Shaped {
    /// `1/dims` and `eps` as f32 arrays of `shape`, made once per shape.
    fn constants(
        &self,
        shape: &[i32],
        dims: i32,
        eps: f32,
    ) -> Result<(Array, Array), InferenceError> {
        let mut constants = self.constants.borrow_mut();
        if let Some((_, normalizer, eps)) = constants.iter().find(|(known, ..)| known == shape) {
            return Ok((normalizer.clone(), eps.clone()));
        }
        let count: i32 = shape.iter().product();
        let count = count.max(0) as usize;
        // MLX computes the normaliser in double precision and rounds it to f32 once.
        let normalizer = Array::from_slice(&vec![(1.0 / f64::from(dims)) as f32; count], shape);
        let eps = Array::from_slice(&vec![eps; count], shape);
        // A handful of shapes at most (decoding steps, and q/k norms); prompts vary in length.
        if constants.len() < 8 {
            constants.push((shape.to_vec(), normalizer.clone(), eps.clone()));
        }
        Ok((normalizer, eps))
    }
}

/// MLX's type promotion for the two floating types that meet here.
fn promote(a: Dtype, b: Dtype) -> Dtype {
    use Dtype::{Bfloat16, Float16, Float32};
    match (a, b) {
        (x, y) if x == y => x,
        (Float16, Bfloat16) | (Bfloat16, Float16) => Float32,
        (Float32, _) | (_, Float32) => Float32,
        (Float16, _) | (_, Float16) => Float16,
        (Bfloat16, _) | (_, Bfloat16) => Bfloat16,
        (x, _) => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_values::spread;

    fn bits(a: &Array) -> Vec<u32> {
        let a = a.as_dtype(Dtype::Float32).unwrap();
        a.as_slice::<f32>().iter().map(|v| v.to_bits()).collect()
    }

    fn compare_with_fast_rms_norm() {
        let dtypes = [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16];
        for x_type in dtypes {
            for w_type in dtypes {
                for (shape, ndim) in [
                    (vec![1, 48], 2),
                    (vec![7, 48], 2),
                    (vec![1, 1, 4, 48], 4),
                    (vec![1, 5, 2, 48], 4),
                ] {
                    let x = spread(&shape, 3).as_dtype(x_type).unwrap();
                    let weight = spread(&[48], 11).as_dtype(w_type).unwrap();
                    let norm = RmsNorm::new(weight.clone(), 1e-5, ndim, true).unwrap();
                    // Twice: the second call uses the cached constants.
                    for _ in 0..2 {
                        let ours = norm.forward(&x).unwrap();
                        let reference = rms_norm(&x, Some(&weight), 1e-5).unwrap();
                        let case = format!("{x_type:?} x, {w_type:?} weight, shape {shape:?}");
                        assert_eq!(ours.dtype(), reference.dtype(), "{case}");
                        assert_eq!(ours.shape(), reference.shape(), "{case}");
                        assert_eq!(bits(&ours), bits(&reference), "{case}");
                    }
                }
            }
        }
    }

    /// On the CPU, where the shaped graph is used (a GPU runs `fast::rms_norm`'s kernel).
    #[test]
    fn the_cpu_graph_normalises_exactly_as_fast_rms_norm() {
        mlx_rs::with_device(mlx_rs::Device::cpu(), compare_with_fast_rms_norm);
    }

    #[test]
    fn normalised_rows_have_unit_rms_before_the_weight() {
        let x = spread(&[3, 64], 5);
        let norm = RmsNorm::new(Array::ones::<f32>(&[64]).unwrap(), 1e-6, 2, true).unwrap();
        let y = norm.forward(&x).unwrap();
        let rms = y
            .square()
            .unwrap()
            .mean_axis(-1, None)
            .unwrap()
            .sqrt()
            .unwrap();
        for value in rms.as_slice::<f32>() {
            assert!((value - 1.0).abs() < 1e-4, "rms {value}");
        }
    }
}
