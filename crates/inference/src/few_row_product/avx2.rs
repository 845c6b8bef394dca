//! The AVX2/FMA kernel: blocks of 2 rows of A by 4 weight rows, 8 floats at a time.

use std::arch::x86_64::*;

use super::Product;

/// Columns `from..to` of C (weight rows `from..to`).
///
/// # Safety
/// The product's matrices are valid; the CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn columns(p: &Product, from: usize, to: usize) {
    let mut j = from;
    while j + 4 <= to {
        let mut i = 0;
        while i + 2 <= p.m {
            // SAFETY: rows i, i+1 of A and j..j+4 of W exist.
            unsafe { block::<2, 4>(p, i, j) };
            i += 2;
        }
        if i < p.m {
            unsafe { block::<1, 4>(p, i, j) };
        }
        j += 4;
    }
    while j < to {
        let mut i = 0;
        while i + 2 <= p.m {
            unsafe { block::<2, 1>(p, i, j) };
            i += 2;
        }
        if i < p.m {
            unsafe { block::<1, 1>(p, i, j) };
        }
        j += 1;
    }
}

/// `R` rows of A (from `i`) times `C` weight rows (from `j`).
///
/// No closures here: a closure does not inherit the function's target features, and an
/// intrinsic called from one is a function call, not an instruction.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn block<const R: usize, const C: usize>(p: &Product, i: usize, j: usize) {
    let k = p.k;
    let mut sums = [[_mm256_setzero_ps(); C]; R];
    let mut rows = [p.a; R];
    for (r, row) in rows.iter_mut().enumerate() {
        // SAFETY: row i + r of A exists.
        *row = unsafe { p.a.add((i + r) * p.lda) };
    }
    let mut weights = [p.w; C];
    for (c, weight) in weights.iter_mut().enumerate() {
        // SAFETY: row j + c of W exists.
        *weight = unsafe { p.w.add((j + c) * p.ldw) };
    }
    let mut w = [_mm256_setzero_ps(); C];
    let mut q = 0;
    while q + 8 <= k {
        for c in 0..C {
            // SAFETY: q + 8 ≤ k: within the row.
            w[c] = unsafe { _mm256_loadu_ps(weights[c].add(q)) };
        }
        for r in 0..R {
            let x = unsafe { _mm256_loadu_ps(rows[r].add(q)) };
            for c in 0..C {
                sums[r][c] = _mm256_fmadd_ps(x, w[c], sums[r][c]);
            }
        }
        q += 8;
    }
    for r in 0..R {
        for c in 0..C {
            let mut total = horizontal_sum(sums[r][c]);
            for t in q..k {
                // SAFETY: t < k.
                total += unsafe { *rows[r].add(t) * *weights[c].add(t) };
            }
            // SAFETY: C has row i + r and column j + c.
            unsafe { p.store(i + r, j + c, total) };
        }
    }
}

#[target_feature(enable = "avx2,fma")]
#[inline]
fn horizontal_sum(v: __m256) -> f32 {
    let halves = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
    let total = _mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 1));
    _mm_cvtss_f32(total)
}
