//! Products of a few rows by a transposed weight matrix, `C = α · A · Wᵀ + β · C` with `A`
//! `[m, k]` for small `m` (a batch's decoding step), reading `W` once.
//!
//! OpenBLAS's general product copies ("packs") all of `W` into its own layout on every call,
//! which for a handful of rows costs more than the product itself: a batched decoding step on
//! SmolLM2 f32 took 4.7× a single row's time at 8 rows. Here each block of four weight rows
//! is read from memory once and multiplied with every row of `A` from the cache: four rows at a
//! time with AVX-512 (16 accumulators, 4 weight vectors and 1 input vector of its 32
//! registers), two with AVX2 (8 + 4 + 1 of 16). The weight rows are split between the calling
//! thread and helper threads (one per further core).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use crate::parallel_split::split_rows;

/// Rows of `A` handled here at most; more go to the BLAS library's general product.
pub const MAX_ROWS: usize = 16;

/// Whether this CPU runs the kernel (AVX2 and FMA); elsewhere the BLAS library does it all.
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    return false;
}

/// One product; the caller checked [`supported`] and the shapes (row-major, `A` not
/// transposed, `W` stored `[n, k]`).
pub struct Product {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f32,
    pub a: *const f32,
    pub lda: usize,
    pub w: *const f32,
    pub ldw: usize,
    pub beta: f32,
    pub c: *mut f32,
    pub ldc: usize,
}

// SAFETY: the pointers are only read (a, w) or written in disjoint column ranges (c) by the
// threads the product is split over, and outlive the call.
unsafe impl Send for Product {}
unsafe impl Sync for Product {}

impl Product {
    /// Computes the product, its weight rows split over the available cores.
    ///
    /// # Safety
    /// The pointers and leading dimensions describe valid matrices of the stated sizes.
    pub unsafe fn run(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            let wide = *WIDE;
            split_rows(self.n, 4, self.n * self.k, &|from, to| {
                // SAFETY: the caller's contract; each part writes its own columns of C; the
                // CPU has the kernel's features (checked by `supported` and `WIDE`).
                unsafe {
                    match wide {
                        true => avx512::columns(self, from, to),
                        false => avx2::columns(self, from, to),
                    }
                }
            });
        }
    }

    /// Writes `α · total (+ β · C)` to row `i`, column `j` of C.
    ///
    /// # Safety
    /// C has that row and column.
    #[inline(always)]
    unsafe fn store(&self, i: usize, j: usize, total: f32) {
        // SAFETY: the caller's contract.
        let out = unsafe { &mut *self.c.add(i * self.ldc + j) };
        let value = self.alpha * total;
        *out = match self.beta == 0.0 {
            // Whatever C held (possibly NaN) is ignored, as BLAS does.
            true => value,
            false => value + self.beta * *out,
        };
    }
}

/// Whether the AVX-512 kernel runs (else the AVX2 one).
#[cfg(target_arch = "x86_64")]
static WIDE: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::is_x86_feature_detected!("avx512f"));

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    type Kernel = unsafe fn(&Product, usize, usize);

    /// Deterministic values in [-1, 1).
    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count)
            .map(|i| ((i * 37 + seed * 101) % 211) as f32 / 105.5 - 1.0)
            .collect()
    }

    /// Both kernels (where the CPU has them) against a plain sum in f64, over sizes with and
    /// without remainders of their blocks, with `α`, `β` and a leading dimension wider than
    /// the row.
    #[test]
    fn both_kernels_equal_a_plain_sum() {
        let kernels: Vec<(&str, Kernel)> = [
            ("avx2", supported().then_some(avx2::columns as Kernel)),
            ("avx512", (*WIDE).then_some(avx512::columns as Kernel)),
        ]
        .into_iter()
        .filter_map(|(name, kernel)| kernel.map(|kernel| (name, kernel)))
        .collect();
        for (m, n, k) in [
            (2, 5, 3),
            (3, 9, 17),
            (4, 8, 16),
            (5, 13, 33),
            (8, 64, 576),
            (16, 7, 100),
        ] {
            let lda = k + 3;
            let a = values(m * lda, 1);
            let w = values(n * k, 2);
            let start = values(m * n, 3);
            for (name, kernel) in &kernels {
                let mut c = start.clone();
                let product = Product {
                    m,
                    n,
                    k,
                    alpha: 0.5,
                    a: a.as_ptr(),
                    lda,
                    w: w.as_ptr(),
                    ldw: k,
                    beta: 2.0,
                    c: c.as_mut_ptr(),
                    ldc: n,
                };
                // SAFETY: the vectors hold the matrices described.
                unsafe { kernel(&product, 0, n) };
                for i in 0..m {
                    for j in 0..n {
                        let dot: f64 = (0..k)
                            .map(|t| f64::from(a[i * lda + t]) * f64::from(w[j * k + t]))
                            .sum();
                        let expected = 0.5 * dot + 2.0 * f64::from(start[i * n + j]);
                        let got = f64::from(c[i * n + j]);
                        assert!(
                            (got - expected).abs() <= 1e-5 * k as f64,
                            "{name} {m}×{k}·({n}×{k})ᵀ at ({i}, {j}): {got} vs {expected}"
                        );
                    }
                }
            }
        }
    }
}
