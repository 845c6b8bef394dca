//! Deterministic test inputs shared by the engine's unit tests.

use mlx_rs::Array;

/// Values in [-3.3, 3.3], spread without a pattern a kernel could exploit; `seed` shifts them.
pub fn spread(shape: &[i32], seed: i32) -> Array {
    let n: i32 = shape.iter().product();
    let values: Vec<f32> = (0..n)
        .map(|i| (((i + seed) * 71 % 113) as f32 - 56.0) / 17.0)
        .collect();
    Array::from_slice(&values, shape)
}
