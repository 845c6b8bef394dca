//! The AVX-512 kernel: blocks of 4 rows of A by 4 weight rows, 16 floats at a time; a row's
//! last partial vector is read with a mask, so no scalar tail.

use std::arch::x86_64::*;

use super::Product;

/// How far ahead of the current position a weight row is prefetched.
const PREFETCH_FLOATS: usize = 128;

/// Columns `from..to` of C (weight rows `from..to`).
///
/// # Safety
/// The product's matrices are valid; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
pub unsafe fn columns(p: &Product, from: usize, to: usize) {
    let mut j = from;
    while j + 4 <= to {
        // SAFETY (all blocks): the rows of A and W they name exist.
        unsafe { rows_by::<4>(p, j) };
        j += 4;
    }
    while j < to {
        unsafe { rows_by::<1>(p, j) };
        j += 1;
    }
}

/// Every row of A times the `C` weight rows from `j`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn rows_by<const C: usize>(p: &Product, j: usize) {
    let mut i = 0;
    while i + 4 <= p.m {
        unsafe { block::<4, C>(p, i, j) };
        i += 4;
    }
    if i + 2 <= p.m {
        unsafe { block::<2, C>(p, i, j) };
        i += 2;
    }
    if i < p.m {
        unsafe { block::<1, C>(p, i, j) };
    }
}

/// `R` rows of A (from `i`) times `C` weight rows (from `j`). No closures (see `avx2.rs`).
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn block<const R: usize, const C: usize>(p: &Product, i: usize, j: usize) {
    let k = p.k;
    let mut sums = [[_mm512_setzero_ps(); C]; R];
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
    let mut w = [_mm512_setzero_ps(); C];
    let mut q = 0;
    while q + 16 <= k {
        for c in 0..C {
            // SAFETY: q + 16 ≤ k: within the row.
            w[c] = unsafe { _mm512_loadu_ps(weights[c].add(q)) };
            // A prefetch never faults, so it may point past the row.
            let ahead = weights[c].wrapping_add(q + PREFETCH_FLOATS);
            _mm_prefetch::<_MM_HINT_T0>(ahead.cast::<i8>());
        }
        for r in 0..R {
            let x = unsafe { _mm512_loadu_ps(rows[r].add(q)) };
            for c in 0..C {
                sums[r][c] = _mm512_fmadd_ps(x, w[c], sums[r][c]);
            }
        }
        q += 16;
    }
    if q < k {
        // The last k - q (< 16) floats of each row; masked lanes read nothing and add 0.
        let mask: __mmask16 = (1u16 << (k - q)) - 1;
        for c in 0..C {
            // SAFETY: only the masked-in lanes, all within the row, are read.
            w[c] = unsafe { _mm512_maskz_loadu_ps(mask, weights[c].add(q)) };
        }
        for r in 0..R {
            let x = unsafe { _mm512_maskz_loadu_ps(mask, rows[r].add(q)) };
            for c in 0..C {
                sums[r][c] = _mm512_fmadd_ps(x, w[c], sums[r][c]);
            }
        }
    }
    for (r, row_sums) in sums.iter().enumerate() {
        for (c, &sum) in row_sums.iter().enumerate() {
            // SAFETY: C has row i + r and column j + c.
            unsafe { p.store(i + r, j + c, _mm512_reduce_add_ps(sum)) };
        }
    }
}
