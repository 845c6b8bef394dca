//! Rotary embeddings with precomputed cosines and sines as one operation of MLX's graph on the
//! CPU ([`crate::cpu_primitive`]), instead of the reference graph's nine (two slices, four
//! products, a difference, a sum, a concatenation) for each of the queries and the keys.
//!
//! Every value is computed as that graph computes it — `x₁·cos − x₂·sin` and
//! `x₁·sin + x₂·cos`, each product and each sum rounded to the input's type — so the results
//! are bit for bit the graph's (tested).

use std::ffi::c_int;

use mlx_rs::{Array, Dtype};

use crate::InferenceError;
use crate::cpu_primitive::{self, Float, Tensor};
use crate::parallel_split::split_rows;

/// The first `dims` features of `x: [B, heads, L, head_dim]` rotated by `cos`/`sin` (shaped
/// `[B, heads, L, dims/2]`, broadcasts allowed, already of `x`'s type); the other features
/// are kept. `None` off the CPU or for other types.
pub fn rotate(
    x: &Array,
    cos: &Array,
    sin: &Array,
    dims: i32,
    traditional: bool,
) -> Result<Option<Array>, InferenceError> {
    let dtype = x.dtype();
    let half = dims / 2;
    let expected = [x.dim(0), x.dim(1), x.dim(2), half];
    if !matches!(dtype, Dtype::Float32 | Dtype::Float16 | Dtype::Bfloat16)
        || x.ndim() != 4
        || dims % 2 != 0
        || dims > x.dim(3)
        || cos.dtype() != dtype
        || sin.dtype() != dtype
        || cos.shape() != expected
        || sin.shape() != expected
    {
        return Ok(None);
    }
    cpu_primitive::lazy_op(
        c"RopeCpu",
        kernel,
        &[i64::from(dims), i64::from(traditional)],
        &[x, cos, sin],
        x.shape(),
        dtype,
    )
}

unsafe extern "C" fn kernel(
    params: *const i64,
    inputs: *const Tensor,
    count: usize,
    output: *mut Tensor,
) -> c_int {
    // SAFETY: called by the primitive with its 2 parameters, `count` inputs and its output.
    unsafe {
        cpu_primitive::run_kernel(
            "rotary embedding",
            (params, 2),
            (inputs, count),
            output,
            |params, inputs, output| {
                let (dims, traditional) = (params[0] as usize, params[1] != 0);
                match (inputs, Float::of(output.dtype)) {
                    ([x, cos, sin], Some(kind)) => {
                        rotate_all(kind, x, cos, sin, output, dims, traditional);
                        Ok(())
                    }
                    _ => Err("expected 3 float inputs"),
                }
            },
        )
    }
}

/// Element offset of `(b, h, l, i)` in a 4-D view.
#[inline(always)]
fn at(strides: &[i64], [b, h, l, i]: [usize; 4]) -> usize {
    (b as i64 * strides[0] + h as i64 * strides[1] + l as i64 * strides[2] + i as i64 * strides[3])
        as usize
}

fn rotate_all(
    kind: Float,
    x: &Tensor,
    cos: &Tensor,
    sin: &Tensor,
    out: &Tensor,
    dims: usize,
    traditional: bool,
) {
    let shape: Vec<usize> = x.dims().iter().map(|&d| d as usize).collect();
    let (heads, len, features) = (shape[1], shape[2], shape[3]);
    let rows = shape[0] * heads * len;
    let half = dims / 2;
    let (xs, cs, ss) = (x.strides(), cos.strides(), sin.strides());
    split_rows(rows, 1, rows * features, &|from, to| {
        for row in from..to {
            let [b, h, l] = [row / (heads * len), row / len % heads, row % len];
            // The output is a fresh row-major buffer.
            let out_row = row * features;
            // SAFETY: every index is within its view (shapes checked when the op was made).
            unsafe {
                for i in 0..half {
                    let (p1, p2) = match traditional {
                        true => (2 * i, 2 * i + 1),
                        false => (i, half + i),
                    };
                    let x1 = kind.read(x.data, at(xs, [b, h, l, p1]));
                    let x2 = kind.read(x.data, at(xs, [b, h, l, p2]));
                    let c = kind.read(cos.data, at(cs, [b, h, l, i]));
                    let s = kind.read(sin.data, at(ss, [b, h, l, i]));
                    let first = kind.round(kind.round(x1 * c) - kind.round(x2 * s));
                    let second = kind.round(kind.round(x1 * s) + kind.round(x2 * c));
                    kind.write(out.data, out_row + p1, first);
                    kind.write(out.data, out_row + p2, second);
                }
                for i in dims..features {
                    let value = kind.read(x.data, at(xs, [b, h, l, i]));
                    kind.write(out.data, out_row + i, value);
                }
            }
        }
    });
}
