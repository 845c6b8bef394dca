//! One new token's grouped-query attention on the CPU as a single operation of MLX's graph
//! ([`crate::cpu_primitive`]): on SmolLM2 it replaced seven operations a layer (scaling,
//! reshapes, two products, the softmax) whose dispatch cost more than their arithmetic.
//!
//! For f32 activations: queries times the scale, scores, a softmax and the weighted sum of the
//! values, as MLX's graph computes them (sums in another order). Half-precision activations
//! stay on MLX's graph: its products round in ways a kernel would have to mirror exactly for
//! greedy decoding to keep mlx-lm's tokens. Keys and values are read in place through their
//! strides (views of the cache's buffers).

use std::ffi::c_int;

use mlx_rs::{Array, Dtype};

use crate::InferenceError;
use crate::cpu_primitive::{self, Tensor};
use crate::parallel_split::split_rows;

/// `softmax(scale · q · Kᵀ) · V` for f32 `queries: [1, heads, 1, dim]` over `keys`/`values:
/// [1, kv_heads, S, dim]`, as `[1, heads · dim]`; `None` off the CPU or for other types.
pub fn decode_attention(
    queries: &Array,
    keys: &Array,
    values: &Array,
    kv_heads: i32,
    scale: f32,
) -> Result<Option<Array>, InferenceError> {
    let dtype = queries.dtype();
    if dtype != Dtype::Float32
        || keys.dtype() != dtype
        || values.dtype() != dtype
        || queries.ndim() != 4
        || keys.ndim() != 4
        || values.shape() != keys.shape()
        || queries.dim(2) != 1
        || keys.dim(1) != kv_heads
    {
        return Ok(None);
    }
    let (heads, dim) = (queries.dim(1), queries.dim(3));
    cpu_primitive::lazy_op(
        c"DecodeAttentionCpu",
        kernel,
        &[i64::from(kv_heads), i64::from(scale.to_bits())],
        &[queries, keys, values],
        &[1, heads * dim],
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
            "decode attention",
            (params, 2),
            (inputs, count),
            output,
            |params, inputs, output| match inputs {
                [q, k, v] => attend(q, k, v, output, f32::from_bits(params[1] as u32))
                    .then_some(())
                    .ok_or("inputs of unexpected shapes or types"),
                _ => Err("expected 3 inputs"),
            },
        )
    }
}

/// The output, written by several threads, each its own heads.
struct Out(*mut f32);
// SAFETY: the threads write disjoint heads of a buffer that outlives the split.
unsafe impl Sync for Out {}

/// The `scratch.len()` values from element `offset`, `stride` apart: in place when contiguous,
/// else gathered into `scratch`.
///
/// # Safety
/// `data` holds them.
#[inline(always)]
unsafe fn row(data: *const f32, offset: usize, stride: usize, scratch: &mut [f32]) -> &[f32] {
    // SAFETY: the caller's contract.
    unsafe {
        if stride == 1 {
            return std::slice::from_raw_parts(data.add(offset), scratch.len());
        }
        for (i, value) in scratch.iter_mut().enumerate() {
            *value = *data.add(offset + i * stride);
        }
    }
    scratch
}

fn attend(q: &Tensor, k: &Tensor, v: &Tensor, out: &Tensor, scale: f32) -> bool {
    let f32_type = Dtype::Float32 as i32;
    let ([_, heads, _, dim], [_, kv_heads, length, _]) = (q.dims(), k.dims()) else {
        return false;
    };
    let (heads, dim, kv_heads, length) = (
        *heads as usize,
        *dim as usize,
        *kv_heads as usize,
        *length as usize,
    );
    if [q.dtype, k.dtype, v.dtype, out.dtype] != [f32_type; 4]
        || kv_heads == 0
        || heads % kv_heads != 0
        || k.dims() != v.dims()
        || k.dims()[3] as usize != dim
    {
        return false;
    }
    let group = heads / kv_heads;
    let (qs, ks, vs) = (q.strides(), k.strides(), v.strides());
    let out = Out(out.data.cast());
    let out = &out;
    split_rows(heads, 1, heads * length * dim * 2, &|from, to| {
        let (q_data, k_data, v_data) = (
            q.data.cast::<f32>(),
            k.data.cast::<f32>(),
            v.data.cast::<f32>(),
        );
        let mut query = vec![0.0f32; dim];
        let mut weights = vec![0.0f32; length];
        let mut scratch = vec![0.0f32; dim];
        for h in from..to {
            let kv = h / group;
            // SAFETY: (0, h, 0, ·) is within q (its shape and strides).
            let q_row = unsafe { row(q_data, h * qs[1] as usize, qs[3] as usize, &mut scratch) };
            for (value, &q) in query.iter_mut().zip(q_row) {
                *value = scale * q;
            }
            let mut largest = f32::NEG_INFINITY;
            for (s, weight) in weights.iter_mut().enumerate() {
                let offset = kv * ks[1] as usize + s * ks[2] as usize;
                // SAFETY: (0, kv, s, ·) is within k.
                let key = unsafe { row(k_data, offset, ks[3] as usize, &mut scratch) };
                *weight = dot(&query, key);
                largest = largest.max(*weight);
            }
            // The precise softmax.
            let mut total = 0.0f32;
            for weight in weights.iter_mut() {
                *weight = (*weight - largest).exp();
                total += *weight;
            }
            // SAFETY: the output is [1, heads · dim]; this thread's heads only.
            let sum = unsafe { std::slice::from_raw_parts_mut(out.0.add(h * dim), dim) };
            sum.fill(0.0);
            for (s, &weight) in weights.iter().enumerate() {
                let offset = kv * vs[1] as usize + s * vs[2] as usize;
                // SAFETY: (0, kv, s, ·) is within v.
                let value = unsafe { row(v_data, offset, vs[3] as usize, &mut scratch) };
                let weight = weight / total;
                for (total, &v) in sum.iter_mut().zip(value) {
                    *total += weight * v;
                }
            }
        }
    });
    true
}

/// A dot product in 16 lanes (which the compiler turns into vector operations), then their sum.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 16;
    let mut lanes = [0.0f32; LANES];
    let (a_blocks, a_tail) = a.split_at(a.len() / LANES * LANES);
    let (b_blocks, b_tail) = b.split_at(a_blocks.len());
    for (a, b) in a_blocks
        .chunks_exact(LANES)
        .zip(b_blocks.chunks_exact(LANES))
    {
        for l in 0..LANES {
            lanes[l] += a[l] * b[l];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(a, b)| a * b).sum();
    lanes.iter().sum::<f32>() + tail
}
