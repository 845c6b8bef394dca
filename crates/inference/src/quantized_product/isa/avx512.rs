//! AVX-512: 16 values a vector, 32 a step.

use std::arch::x86_64::*;

use super::Block;
use crate::quantized_product::Format;

super::block_loops!(
    #[target_feature(enable = "avx512f,avx2,fma")]
    most = 4
);

/// The values `scale · q + bias` for every 4-bit `q` (0 to 15): one vector, indexed by `q`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
fn table(scale: f32, bias: f32) -> __m512 {
    let q = _mm512_setr_ps(
        0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
    );
    _mm512_fmadd_ps(q, _mm512_set1_ps(scale), _mm512_set1_ps(bias))
}

/// The step's two vectors of weights from `w` at value `e`. 4 bits: each byte's nibbles pick
/// their value from the group's table (a permute reads only an index's low 4 bits, so the low
/// nibble needs no mask); 8 bits: converted and scaled.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn weights<const FOUR: bool>(
    w: *const u8,
    e: usize,
    table: __m512,
    scale: __m512,
    bias: __m512,
) -> (__m512, __m512) {
    // SAFETY: the caller's row holds the step's bytes.
    unsafe {
        match FOUR {
            true => {
                let bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e / 2).cast()));
                (
                    _mm512_permutexvar_ps(bytes, table),
                    _mm512_permutexvar_ps(_mm512_srli_epi32::<4>(bytes), table),
                )
            }
            false => {
                let first = _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e).cast()));
                let second = _mm512_cvtepu8_epi32(_mm_loadu_si128(w.add(e + 16).cast()));
                (
                    _mm512_fmadd_ps(_mm512_cvtepi32_ps(first), scale, bias),
                    _mm512_fmadd_ps(_mm512_cvtepi32_ps(second), scale, bias),
                )
            }
        }
    }
}

/// Input rows `i..i + R` by weight rows `j..j + C`.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn dot_bits<const R: usize, const C: usize, const FOUR: bool>(
    b: &Block,
    i: usize,
    j: usize,
) {
    // Two sums per pair (the step's first and second vector): independent chains of FMAs.
    let mut first = [[_mm512_setzero_ps(); C]; R];
    let mut second = [[_mm512_setzero_ps(); C]; R];
    let (k, group, groups) = (b.k, b.format.group, b.groups());
    // SAFETY (all accesses below): rows i..i + R of the input and j..j + C of the weights,
    // scales and biases exist (the caller's block), and every step stays within a row.
    let x: [*const f32; R] = std::array::from_fn(|r| unsafe { b.x.as_ptr().add((i + r) * k) });
    let w: [*const u8; C] = std::array::from_fn(|c| unsafe { b.w.add((j + c) * b.w_stride) });
    let s: [*const f32; C] =
        std::array::from_fn(|c| unsafe { b.scales.as_ptr().add((j + c) * groups) });
    let o: [*const f32; C] =
        std::array::from_fn(|c| unsafe { b.biases.as_ptr().add((j + c) * groups) });
    for g in 0..groups {
        let mut scale = [_mm512_setzero_ps(); C];
        let mut bias = [_mm512_setzero_ps(); C];
        let mut tables = [_mm512_setzero_ps(); C];
        for c in 0..C {
            let (sc, bi) = unsafe { (*s[c].add(g), *o[c].add(g)) };
            match FOUR {
                true => tables[c] = table(sc, bi),
                false => (scale[c], bias[c]) = (_mm512_set1_ps(sc), _mm512_set1_ps(bi)),
            }
        }
        let mut e = g * group;
        while e < (g + 1) * group {
            let mut wa = [_mm512_setzero_ps(); C];
            let mut wb = [_mm512_setzero_ps(); C];
            for c in 0..C {
                (wa[c], wb[c]) = unsafe { weights::<FOUR>(w[c], e, tables[c], scale[c], bias[c]) };
            }
            for r in 0..R {
                let (xa, xb) = unsafe {
                    (
                        _mm512_loadu_ps(x[r].add(e)),
                        _mm512_loadu_ps(x[r].add(e + 16)),
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
    for r in 0..R {
        for c in 0..C {
            let sum = _mm512_reduce_add_ps(_mm512_add_ps(first[r][c], second[r][c]));
            unsafe { *b.out.add((i + r) * b.out_stride + j + c) = sum };
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
        let values = table(scales[g], biases[g]);
        let mut e = g * group;
        while e < (g + 1) * group {
            // SAFETY: e + 32 ≤ k: within the row and `out`.
            unsafe {
                let (wa, wb) = weights::<FOUR>(w, e, values, scale, bias);
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

/// Half-precision values (f16 or bf16) into f32, 16 at a time; see [`super::Isa::widen`].
///
/// # Safety
/// `src` holds `dst.len()` 2-byte values; the CPU has AVX-512F (whose conversions include F16C's).
#[target_feature(enable = "avx512f,avx2,fma,f16c")]
pub unsafe fn widen_halves(bf16: bool, src: *const u16, dst: &mut [f32]) {
    let mut i = 0;
    let mut last = [0u16; 16];
    while i < dst.len() {
        let count = (dst.len() - i).min(16);
        // SAFETY: `count` values from i exist; a short last run is copied into `last` first.
        unsafe {
            let from = match count {
                16 => src.add(i),
                _ => {
                    std::ptr::copy_nonoverlapping(src.add(i), last.as_mut_ptr(), count);
                    last.as_ptr()
                }
            };
            let halves = _mm256_loadu_si256(from.cast());
            let values = match bf16 {
                true => _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(halves))),
                false => _mm512_cvtph_ps(halves),
            };
            let mut wide = [0.0f32; 16];
            let to = match count {
                16 => dst.as_mut_ptr().add(i),
                _ => wide.as_mut_ptr(),
            };
            _mm512_storeu_ps(to, values);
            if count < 16 {
                dst[i..].copy_from_slice(&wide[..count]);
            }
        }
        i += count;
    }
}
