//! `x · Wᵀ` for an MLX affine-quantized `W` (4 or 8 bits; groups of 32, 64 or 128; scales and
//! biases in f32, f16 or bf16) on the CPU, as an operation of MLX's graph
//! ([`crate::cpu_primitive`]).
//!
//! MLX's CPU kernel for this product is a scalar loop on Linux (its SIMD path exists only with
//! Apple's Accelerate): SmolLM2-135M in 4 bits decoded at a third of the speed of the same model
//! in f32, which reads seven times the bytes. Here:
//! - up to [`DIRECT_MAX_ROWS`] rows (decoding steps, alone or batched, and prompts read in short
//!   chunks) go through `direct`: each block of packed weights is unpacked once, in registers,
//!   and multiplied with up to four rows at a time; the weight rows are split over the cores;
//! - more rows (long prompts) go through `tiled`: a tile of weight rows is unpacked into f32
//!   once, over the cores, and multiplied by all rows with the BLAS library's general product.
//!
//! Each weight is `scale · q + bias` (its group's scale and bias), computed in f32 as MLX does,
//! and the products are summed in f32; only the order of the sum differs from MLX's kernel.
//! The weights stay in MLX's layout: nothing is repacked or copied at load.

mod direct;
mod isa;
mod prologue;
mod tiled;
mod values;

use std::ffi::c_int;

use mlx_rs::{Array, Dtype};

use crate::InferenceError;
use crate::cpu_primitive::{self, Float, Tensor};
use isa::Isa;
use prologue::Prologue;
use values::{ScaleRows, read_row};

/// Set to `mlx` to leave every quantized product to MLX's kernel (to compare, or should ours
/// misbehave on some CPU).
const KERNEL_VARIABLE: &str = "MLX_MANAGER_QUANTIZED_KERNEL";

/// Rows of `x` up to which `direct` runs; above, `tiled`. Measured on SmolLM2-135M 4-bit
/// (2 cores): prompts of 42 tokens read at 300 tok/s direct vs 170 tiled (unpacking every
/// weight costs more than the product), 130 tokens about even, 330 tokens 220 vs 270.
const DIRECT_MAX_ROWS: usize = 128;

/// The quantization of one matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Format {
    bits: usize,
    group: usize,
}

impl Format {
    fn of(bits: i32, group: i32) -> Option<Self> {
        let format = Self {
            bits: usize::try_from(bits).ok()?,
            group: usize::try_from(group).ok()?,
        };
        let known = matches!(format.bits, 4 | 8) && matches!(format.group, 32 | 64 | 128);
        known.then_some(format)
    }

    /// Bytes of packed weights per row of `k` values.
    fn row_bytes(self, k: usize) -> usize {
        k * self.bits / 8
    }
}

/// What the product applies to its input's rows first (see `prologue`).
pub enum Before<'a> {
    Nothing,
    /// An RMS norm with this weight and epsilon.
    RmsNorm {
        weight: &'a Array,
        eps: f32,
    },
    /// SwiGLU of an input holding the gate's values, then the up projection's.
    SwiGlu,
}

/// `before(x) · Wᵀ` as a lazy array computed by this module's kernel, or `None` where MLX's
/// own operations compute it: another device than the CPU, or a format or dtype the kernel does
/// not cover.
pub fn matmul_transposed(
    x: &Array,
    weight: &Array,
    scales: &Array,
    biases: &Array,
    (bits, group): (i32, i32),
    before: Before,
) -> Result<Option<Array>, InferenceError> {
    static MLX_ONLY: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
        std::env::var(KERNEL_VARIABLE).is_ok_and(|value| value.eq_ignore_ascii_case("mlx"))
    });
    let Some(format) = Format::of(bits, group).filter(|_| !*MLX_ONLY) else {
        return Ok(None);
    };
    let mut inputs = vec![x, weight, scales, biases];
    let (kind, eps, input_type) = match before {
        Before::Nothing => (prologue::NONE, 0.0, x.dtype()),
        Before::SwiGlu => (prologue::SWIGLU, 0.0, x.dtype()),
        Before::RmsNorm { weight, eps } => {
            inputs.push(weight);
            (
                prologue::RMS_NORM,
                eps,
                output_dtype(x.dtype(), weight.dtype()),
            )
        }
    };
    if weight.dtype() != Dtype::Uint32
        || weight.ndim() != 2
        || !inputs[..]
            .iter()
            .filter(|a| a.dtype() != Dtype::Uint32)
            .all(|a| Float::of(a.dtype() as c_int).is_some())
    {
        return Ok(None);
    }
    let mut shape = x.shape().to_vec();
    let Some(last) = shape.last_mut() else {
        return Ok(None);
    };
    *last = weight.dim(0);
    cpu_primitive::lazy_op(
        c"QuantizedMatmulCpu",
        kernel,
        &[
            format.bits as i64,
            format.group as i64,
            kind,
            i64::from(f32::to_bits(eps)),
        ],
        &inputs,
        &shape,
        output_dtype(input_type, scales.dtype()),
    )
}

/// The dtype MLX's operation returns: the promotion of the input's and the scales' types.
fn output_dtype(x: Dtype, scales: Dtype) -> Dtype {
    match (x, scales) {
        (a, b) if a == b => a,
        // Anything with float32, and float16 with bfloat16, is float32 in MLX.
        _ => Dtype::Float32,
    }
}

/// The primitive's kernel: inputs x, packed weights, scales, biases; params bits, group size.
unsafe extern "C" fn kernel(
    params: *const i64,
    inputs: *const Tensor,
    count: usize,
    output: *mut Tensor,
) -> c_int {
    // SAFETY: called by the primitive with its 4 parameters, `count` inputs and its output.
    unsafe {
        cpu_primitive::run_kernel(
            "quantized product",
            (params, 4),
            (inputs, count),
            output,
            |params, inputs, output| {
                let format = Format {
                    bits: params[0] as usize,
                    group: params[1] as usize,
                };
                let eps = f32::from_bits(params[3] as u32);
                match inputs {
                    [x, w, scales, biases, rest @ ..] => {
                        let isa = Isa::detect();
                        let prologue = Prologue::new(params[2], eps, x, rest.first())?;
                        compute(format, isa, &prologue, [x, w, scales, biases], output)
                    }
                    _ => Err("expected 4 or 5 inputs"),
                }
            },
        )
    }
}

/// The product's operands, checked and described for the two paths.
struct Operands<'a> {
    format: Format,
    isa: Isa,
    /// Rows of x (`m`), each of `k` values once the prologue is applied.
    x: &'a Tensor,
    x_rows: Vec<usize>,
    prologue: &'a Prologue,
    k: usize,
    /// Weight rows (`n`): packed bytes, `w_stride` bytes apart.
    n: usize,
    w: *const u8,
    w_stride: usize,
    scales: ScaleRows,
    biases: ScaleRows,
    /// Row-major `[m, n]`.
    out: &'a Tensor,
}

fn compute(
    format: Format,
    isa: Isa,
    prologue: &Prologue,
    [x, w, scales, biases]: [&Tensor; 4],
    out: &Tensor,
) -> Result<(), &'static str> {
    let k = x.row_len() / prologue.widening();
    let n = *w.dims().first().ok_or("weights without rows")? as usize;
    let groups = k / format.group;
    if k == 0
        || k * prologue.widening() != x.row_len()
        || !k.is_multiple_of(format.group)
        || w.dims() != [n as i32, (format.row_bytes(k) / 4) as i32]
    {
        return Err("weights do not match the input's size");
    }
    if w.element_stride() != 1 {
        return Err("packed weight rows are not contiguous");
    }
    let operands = Operands {
        format,
        isa,
        x,
        x_rows: x.row_offsets(),
        prologue,
        k,
        n,
        w: w.data,
        w_stride: w.strides()[0] as usize * 4,
        scales: ScaleRows::new(scales, n, groups)?,
        biases: ScaleRows::new(biases, n, groups)?,
        out,
    };
    match operands.x_rows.len() {
        0 => Ok(()),
        m if m <= DIRECT_MAX_ROWS => direct::run(&operands),
        _ => tiled::run(&operands),
    }
}

impl Operands<'_> {
    /// Row `i` of x with the prologue applied, into `row` (`k` values); `raw` is scratch of the
    /// input row's length.
    fn read_row(&self, i: usize, raw: &mut [f32], row: &mut [f32]) -> Result<(), &'static str> {
        read_row(self.x, self.x_rows[i], raw)?;
        self.prologue.apply(raw, row);
        Ok(())
    }
}

// SAFETY: the operands are only read, and the output written in disjoint parts, by the threads
// a product is split over, all within the kernel's call.
unsafe impl Sync for Operands<'_> {}

#[cfg(test)]
mod tests;
