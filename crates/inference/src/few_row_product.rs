//! Products of a few rows by a transposed weight matrix, `C = α · A · Wᵀ + β · C` with `A`
//! `[m, k]` for small `m` (a batch's decoding step), reading `W` once.
//!
//! OpenBLAS's general product copies ("packs") all of `W` into its own layout on every call,
//! which for a handful of rows costs more than the product itself: a batched decoding step on
//! SmolLM2 f32 took 4.7× a single row's time at 8 rows. Here each block of four weight rows
//! is read from memory once and multiplied with every row of `A` from the cache (two rows at a
//! time: 8 accumulators, 4 weight vectors and 1 input vector fit AVX2's 16 registers). The
//! weight rows are split between the calling thread and helper threads (one per further core).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

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
        split_rows(self.n, 4, self.n * self.k, &|from, to| {
            // SAFETY: the caller's contract; each part writes its own columns of C.
            unsafe { self.columns(from, to) }
        });
    }
}

#[cfg(target_arch = "x86_64")]
impl Product {
    /// Columns `from..to` of C (weight rows `from..to`).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn columns(&self, from: usize, to: usize) {
        let mut j = from;
        while j + 4 <= to {
            let mut i = 0;
            while i + 2 <= self.m {
                // SAFETY: rows i, i+1 of A and j..j+4 of W exist.
                unsafe { self.block::<2, 4>(i, j) };
                i += 2;
            }
            if i < self.m {
                unsafe { self.block::<1, 4>(i, j) };
            }
            j += 4;
        }
        while j < to {
            let mut i = 0;
            while i + 2 <= self.m {
                unsafe { self.block::<2, 1>(i, j) };
                i += 2;
            }
            if i < self.m {
                unsafe { self.block::<1, 1>(i, j) };
            }
            j += 1;
        }
    }

    /// `R` rows of A (from `i`) times `C` weight rows (from `j`).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const R: usize, const C: usize>(&self, i: usize, j: usize) {
        let k = self.k;
        let mut sums = [[_mm256_setzero_ps(); C]; R];
        let mut rows = [self.a; R];
        for (r, row) in rows.iter_mut().enumerate() {
            // SAFETY: row i + r of A exists.
            *row = unsafe { self.a.add((i + r) * self.lda) };
        }
        let mut weights = [self.w; C];
        for (c, weight) in weights.iter_mut().enumerate() {
            // SAFETY: row j + c of W exists.
            *weight = unsafe { self.w.add((j + c) * self.ldw) };
        }
        // No closures here: a closure does not inherit the function's target features, and
        // an intrinsic called from one is a function call, not an instruction.
        let mut w = [_mm256_setzero_ps(); C];
        let mut p = 0;
        while p + 8 <= k {
            for c in 0..C {
                // SAFETY: p + 8 ≤ k: within the row.
                w[c] = unsafe { _mm256_loadu_ps(weights[c].add(p)) };
            }
            for r in 0..R {
                let x = unsafe { _mm256_loadu_ps(rows[r].add(p)) };
                for c in 0..C {
                    sums[r][c] = _mm256_fmadd_ps(x, w[c], sums[r][c]);
                }
            }
            p += 8;
        }
        for r in 0..R {
            for c in 0..C {
                let mut total = horizontal_sum(sums[r][c]);
                for q in p..k {
                    // SAFETY: q < k.
                    total += unsafe { *rows[r].add(q) * *weights[c].add(q) };
                }
                // SAFETY: C has rows i + r and columns j + c.
                let out = unsafe { self.c.add((i + r) * self.ldc + j + c) };
                let value = self.alpha * total;
                unsafe {
                    *out = match self.beta == 0.0 {
                        // Whatever C held (possibly NaN) is ignored, as BLAS does.
                        true => value,
                        false => value + self.beta * *out,
                    };
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
fn horizontal_sum(v: __m256) -> f32 {
    let halves = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
    let total = _mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 1));
    _mm_cvtss_f32(total)
}
