//! AVX-512: 16 values a vector, 32 a step.

use std::arch::x86_64::*;

use super::Dot;
use crate::quantized_product::Format;

/// See [`super::Isa::dot`].
///
/// # Safety
/// As there; the CPU has AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub unsafe fn dot<const R: usize, const C: usize>(d: &Dot<R, C>) -> [[f32; C]; R] {
    // SAFETY: the caller's contract.
    unsafe {
        match d.format.bits {
            4 => dot_bits::<R, C, true>(d),
            _ => dot_bits::<R, C, false>(d),
        }
    }
}

/// The step's two vectors of unpacked values (integers) from `w` at value `e`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn unpack<const FOUR: bool>(w: *const u8, e: usize) -> (__m512i, __m512i) {
    // SAFETY: the caller's row holds the step's bytes.
    unsafe {
        match FOUR {
            true => {
                let bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e / 2).cast()));
                (
                    _mm512_and_si512(bytes, _mm512_set1_epi32(0xF)),
                    _mm512_srli_epi32::<4>(bytes),
                )
            }
            false => (
                _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e).cast())),
                _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e + 16).cast())),
            ),
        }
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn dot_bits<const R: usize, const C: usize, const FOUR: bool>(
    d: &Dot<R, C>,
) -> [[f32; C]; R] {
    // Two sums per pair (the step's first and second vector): independent chains of FMAs.
    let mut first = [[_mm512_setzero_ps(); C]; R];
    let mut second = [[_mm512_setzero_ps(); C]; R];
    let group = d.format.group;
    for g in 0..d.k / group {
        let mut scale = [_mm512_setzero_ps(); C];
        let mut bias = [_mm512_setzero_ps(); C];
        for c in 0..C {
            scale[c] = _mm512_set1_ps(d.scales[c][g]);
            bias[c] = _mm512_set1_ps(d.biases[c][g]);
        }
        let mut e = g * group;
        while e < (g + 1) * group {
            let mut wa = [_mm512_setzero_ps(); C];
            let mut wb = [_mm512_setzero_ps(); C];
            for c in 0..C {
                // SAFETY: e + 32 ≤ k: within the row.
                let (qa, qb) = unsafe { unpack::<FOUR>(d.w[c], e) };
                wa[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(qa), scale[c], bias[c]);
                wb[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(qb), scale[c], bias[c]);
            }
            for r in 0..R {
                // SAFETY: as above, for the arranged input row.
                let (xa, xb) = unsafe {
                    (
                        _mm512_loadu_ps(d.x[r].add(e)),
                        _mm512_loadu_ps(d.x[r].add(e + 16)),
                    )
                };
                for c in 0..C {
                    first[r][c] = _mm512_fmadd_ps(xa, wa[c], first[r][c]);
                    second[r][c] = _mm512_fmadd_ps(xb, wb[c], second[r][c]);
                }
            }
            e += 32;
        }
    }
    let mut sums = [[0.0; C]; R];
    for r in 0..R {
        for c in 0..C {
            sums[r][c] = _mm512_reduce_add_ps(_mm512_add_ps(first[r][c], second[r][c]));
        }
    }
    sums
}

/// See [`super::Isa::dequantize`].
///
/// # Safety
/// As there; the CPU has AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub unsafe fn dequantize(
    format: Format,
    w: *const u8,
    scales: &[f32],
    biases: &[f32],
    out: &mut [f32],
) {
    // SAFETY: the caller's contract.
    unsafe {
        match format.bits {
            4 => dequantize_bits::<true>(format, w, scales, biases, out),
            _ => dequantize_bits::<false>(format, w, scales, biases, out),
        }
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn dequantize_bits<const FOUR: bool>(
    format: Format,
    w: *const u8,
    scales: &[f32],
    biases: &[f32],
    out: &mut [f32],
) {
    let group = format.group;
    // Even values from the first vector, odd ones from the second, back in order.
    let lower = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let upper = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    let to = out.as_mut_ptr();
    for g in 0..out.len() / group {
        let scale = _mm512_set1_ps(scales[g]);
        let bias = _mm512_set1_ps(biases[g]);
        let mut e = g * group;
        while e < (g + 1) * group {
            // SAFETY: e + 32 ≤ k: within the row and `out`.
            unsafe {
                let (qa, qb) = unpack::<FOUR>(w, e);
                let wa = _mm512_fmadd_ps(_mm512_cvtepi32_ps(qa), scale, bias);
                let wb = _mm512_fmadd_ps(_mm512_cvtepi32_ps(qb), scale, bias);
                let (a, b) = match FOUR {
                    true => (
                        _mm512_permutex2var_ps(wa, lower, wb),
                        _mm512_permutex2var_ps(wa, upper, wb),
                    ),
                    false => (wa, wb),
                };
                _mm512_storeu_ps(to.add(e), a);
                _mm512_storeu_ps(to.add(e + 16), b);
            }
            e += 32;
        }
    }
}
