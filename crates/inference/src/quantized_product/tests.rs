//! Every kernel against MLX's own `quantized_matmul`, on odd shapes, every bit width, group
//! size and scale type; the operation inside MLX's graph with strided and batched inputs.

use mlx_rs::ops::{quantize, quantized_matmul};
use mlx_rs::{Array, Dtype};

use super::isa::Isa;
use super::prologue::Prologue;
use super::{Before, Format, compute, matmul_transposed};
use crate::cpu_primitive::Tensor;

/// Deterministic values in [-1, 1).
fn random(shape: &[i32], seed: u64) -> Array {
    let count: i32 = shape.iter().product();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let values: Vec<f32> = (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Array::from_slice(&values, shape)
}

/// MLX's quantization of a random `[n, k]` matrix, scales and biases cast to `dtype`.
fn quantized(n: i32, k: i32, format: Format, dtype: Dtype, seed: u64) -> [Array; 3] {
    let (w, scales, biases) = quantize(
        random(&[n, k], seed),
        format.group as i32,
        format.bits as i32,
    )
    .unwrap();
    let arrays = [
        w,
        scales.as_dtype(dtype).unwrap(),
        biases.as_dtype(dtype).unwrap(),
    ];
    mlx_rs::transforms::eval(arrays.iter()).unwrap();
    arrays
}

/// The primitive's view of an evaluated, row-major array.
struct View {
    shape: Vec<i32>,
    strides: Vec<i64>,
}

impl View {
    fn of(array: &Array) -> Self {
        let shape = array.shape().to_vec();
        let mut strides = vec![1i64; shape.len()];
        for axis in (0..shape.len().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * i64::from(shape[axis + 1]);
        }
        Self { shape, strides }
    }

    fn tensor(&self, data: *const u8, dtype: Dtype) -> Tensor {
        Tensor {
            data: data.cast_mut(),
            dtype: dtype as i32,
            ndim: self.shape.len() as i32,
            shape: self.shape.as_ptr(),
            strides: self.strides.as_ptr(),
        }
    }
}

fn bytes_of(array: &Array) -> *const u8 {
    match array.dtype() {
        Dtype::Float32 => array.as_slice::<f32>().as_ptr().cast(),
        Dtype::Uint32 => array.as_slice::<u32>().as_ptr().cast(),
        Dtype::Float16 => array.as_slice::<half::f16>().as_ptr().cast(),
        Dtype::Bfloat16 => array.as_slice::<half::bf16>().as_ptr().cast(),
        other => panic!("no view of {other:?}"),
    }
}

/// Runs one kernel on host buffers: `x [m, k]` (f32) by the quantized matrix.
fn run_kernel(isa: Isa, format: Format, x: &Array, quantized: &[Array; 3], n: i32) -> Vec<f32> {
    let m = x.dim(0);
    let mut out = vec![0.0f32; (m * n) as usize];
    let out_array = Array::from_slice(&out, &[m, n]);
    let views: Vec<View> = [x, &quantized[0], &quantized[1], &quantized[2], &out_array]
        .into_iter()
        .map(View::of)
        .collect();
    let tensors: Vec<Tensor> = [x, &quantized[0], &quantized[1], &quantized[2]]
        .into_iter()
        .zip(&views)
        .map(|(array, view)| view.tensor(bytes_of(array), array.dtype()))
        .collect();
    let output = views[4].tensor(out.as_mut_ptr().cast(), Dtype::Float32);
    compute(
        format,
        isa,
        &Prologue::None,
        [&tensors[0], &tensors[1], &tensors[2], &tensors[3]],
        &output,
    )
    .unwrap();
    out
}

/// The largest difference from the reference, relative to the reference's largest value.
fn worst_relative(ours: &[f32], reference: &[f32]) -> f32 {
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(ours.iter().all(|v| v.is_finite()), "a result is not finite");
    worst / scale
}

#[test]
fn every_kernel_equals_mlx_quantized_matmul_on_odd_shapes() {
    let isas = Isa::all_supported();
    assert!(isas.len() >= 2, "this CPU runs a SIMD kernel: {isas:?}");
    // Rows of x: 1 to 4 (one block), 5 and 9 (blocks and a remainder), 40 (many blocks),
    // 130 (the tiled path); weight rows odd and even.
    let shapes = [
        (1, 1),
        (1, 7),
        (2, 9),
        (3, 130),
        (5, 33),
        (8, 3),
        (9, 17),
        (40, 65),
        (130, 19),
    ];
    let mut seed = 0;
    for bits in [4, 8] {
        for group in [32, 64, 128] {
            let format = Format { bits, group };
            for dtype in [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16] {
                for (m, n) in shapes {
                    seed += 1;
                    // 1, 3 or 19 groups a row (19: a full run of 16 scales and a tail).
                    let k = group as i32 * [1, 3, 19][seed as usize % 3];
                    let q = quantized(n, k, format, dtype, seed);
                    let x = random(&[m, k], seed + 1000);
                    let reference =
                        quantized_matmul(&x, &q[0], &q[1], &q[2], true, group as i32, bits as i32)
                            .unwrap();
                    let reference = reference.as_slice::<f32>();
                    for &isa in &isas {
                        let ours = run_kernel(isa, format, &x, &q, n);
                        let worst = worst_relative(&ours, reference);
                        assert!(
                            worst <= 1e-5,
                            "{isa:?} {bits} bits, groups of {group}, {dtype:?} scales, \
                             [{m}, {k}]·[{n}, {k}]ᵀ: off by {worst:e}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_operation_in_mlx_s_graph_follows_strides_and_batch_dimensions() {
    let format = Format { bits: 4, group: 32 };
    let (k, n) = (96, 40);
    let q = quantized(n, k, format, Dtype::Float16, 7);
    for m in [1, 3, 12] {
        // [2, k, m] transposed to [2, m, k]: a row's values are m apart.
        let x = random(&[2, k, m], 11).transpose_axes(&[0, 2, 1]).unwrap();
        let ours = matmul_transposed(&x, &q[0], &q[1], &q[2], (4, 32), Before::Nothing)
            .unwrap()
            .expect("the CPU kernel runs this product");
        // In a graph: the product feeds further operations.
        let ours = ours.multiply(Array::from_f32(2.0)).unwrap();
        let reference = quantized_matmul(&x, &q[0], &q[1], &q[2], true, 32, 4)
            .unwrap()
            .multiply(Array::from_f32(2.0))
            .unwrap();
        assert_eq!(ours.shape(), [2, m, n]);
        assert_eq!(ours.dtype(), Dtype::Float32);
        let worst = worst_relative(ours.as_slice::<f32>(), reference.as_slice::<f32>());
        assert!(worst <= 1e-5, "{m} rows: off by {worst:e}");
    }
}

#[test]
fn half_precision_inputs_give_outputs_of_their_type_rounded_from_f32_sums() {
    let format = Format { bits: 8, group: 64 };
    let (k, n) = (128, 24);
    for (dtype, tolerance) in [(Dtype::Float16, 2e-3), (Dtype::Bfloat16, 1e-2)] {
        let q = quantized(n, k, format, dtype, 3);
        for m in [1, 4, 20] {
            let x = random(&[m, k], 5).as_dtype(dtype).unwrap();
            let ours = matmul_transposed(&x, &q[0], &q[1], &q[2], (8, 64), Before::Nothing)
                .unwrap()
                .expect("the CPU kernel runs this product");
            assert_eq!(ours.dtype(), dtype);
            // The same product in f32 (the same values, widened exactly).
            let wide = |a: &Array| a.as_dtype(Dtype::Float32).unwrap();
            let wide_biases = wide(&q[2]);
            let reference =
                quantized_matmul(wide(&x), &q[0], wide(&q[1]), &wide_biases, true, 64, 8).unwrap();
            let worst = worst_relative(wide(&ours).as_slice::<f32>(), reference.as_slice::<f32>());
            assert!(worst <= tolerance, "{dtype:?}, {m} rows: off by {worst:e}");
        }
    }
}

#[test]
fn formats_the_kernel_does_not_cover_are_left_to_mlx() {
    let q = quantized(8, 64, Format { bits: 4, group: 32 }, Dtype::Float32, 1);
    let x = random(&[1, 64], 2);
    assert!(Format::of(3, 32).is_none());
    assert!(Format::of(4, 16).is_none());
    assert!(
        matmul_transposed(&x, &q[0], &q[1], &q[2], (2, 32), Before::Nothing)
            .unwrap()
            .is_none()
    );
}

/// The norm and SwiGLU applied while reading the input equal MLX's operations (in the input's
/// type, rounding each step as MLX does) followed by the product summed in f32 (MLX's own
/// product sums half-precision inputs in their type, which is the larger error).
#[test]
fn a_norm_or_swiglu_before_the_product_equals_mlx_s_operations_then_its_product() {
    let format = Format { bits: 4, group: 64 };
    let (k, n) = (128, 36);
    for (dtype, tolerance) in [
        (Dtype::Float32, 1e-5),
        (Dtype::Float16, 2e-3),
        (Dtype::Bfloat16, 1e-2),
    ] {
        let q = quantized(n, k, format, dtype, 21);
        let norm_weight = random(&[k], 22).as_dtype(dtype).unwrap();
        for m in [1, 3, 130] {
            let x = random(&[m, k], 23).as_dtype(dtype).unwrap();
            let ours = matmul_transposed(
                &x,
                &q[0],
                &q[1],
                &q[2],
                (4, 64),
                Before::RmsNorm {
                    weight: &norm_weight,
                    eps: 1e-5,
                },
            )
            .unwrap()
            .unwrap();
            let wide = |a: &Array| a.as_dtype(Dtype::Float32).unwrap();
            let (scales, biases) = (wide(&q[1]), wide(&q[2]));
            let in_f32 = |input: &Array| {
                quantized_matmul(wide(input), &q[0], &scales, &biases, true, 64, 4).unwrap()
            };
            let normed = mlx_rs::fast::rms_norm(&x, Some(&norm_weight), 1e-5).unwrap();
            assert_eq!(ours.dtype(), normed.dtype());
            let reference = in_f32(&normed);
            let worst = worst_relative(
                wide(&ours).as_slice::<f32>(),
                wide(&reference).as_slice::<f32>(),
            );
            assert!(
                worst <= tolerance,
                "norm, {dtype:?}, {m} rows: off by {worst:e}"
            );

            let gate_up = random(&[m, 2 * k], 24)
                .multiply(Array::from_f32(3.0))
                .unwrap();
            let gate_up = gate_up.as_dtype(dtype).unwrap();
            let ours = matmul_transposed(&gate_up, &q[0], &q[1], &q[2], (4, 64), Before::SwiGlu)
                .unwrap()
                .unwrap();
            let halves = gate_up.split_at_indices(&[k], -1).unwrap();
            let gated = crate::nn::swiglu(&halves[0], &halves[1]).unwrap();
            let reference = in_f32(&gated);
            assert_eq!(ours.shape(), [m, n]);
            let worst = worst_relative(
                wide(&ours).as_slice::<f32>(),
                wide(&reference).as_slice::<f32>(),
            );
            assert!(
                worst <= tolerance,
                "SwiGLU, {dtype:?}, {m} rows: off by {worst:e}"
            );
        }
    }
}
