//! AVX2 with FMA: 8 values a vector, 16 a step.

use std::arch::x86_64::*;

use super::Block;
use crate::quantized_product::Format;

super::block_loops!(
    #[target_feature(enable = "avx2,fma")]
    most = 2
);

/// The step's two vectors of unpacked values (integers) from `w` at value `e`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn unpack<const FOUR: bool>(w: *const u8, e: usize) -> (__m256i, __m256i) {
    // SAFETY: the caller's row holds the step's bytes.
    unsafe {
        match FOUR {
            true => {
                let bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(w.add(e / 2).cast()));
                (
                    _mm256_and_si256(bytes, _mm256_set1_epi32(0xF)),
                    _mm256_srli_epi32::<4>(bytes),
                )
            }
            false => (
                _mm256_cvtepu8_epi32(_mm_loadl_epi64(w.add(e).cast())),
                _mm256_cvtepu8_epi32(_mm_loadl_epi64(w.add(e + 8).cast())),
            ),
        }
    }
}

#[target_feature(enable = "avx2,fma")]
#[inline]
fn sum(v: __m256) -> f32 {
    let half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let pairs = _mm_add_ps(half, _mm_movehl_ps(half, half));
    _mm_cvtss_f32(_mm_add_ss(pairs, _mm_shuffle_ps::<1>(pairs, pairs)))
}

/// Input rows `i..i + R` by weight rows `j..j + C`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dot_bits<const R: usize, const C: usize, const FOUR: bool>(
    b: &Block,
    i: usize,
    j: usize,
) {
    let mut first = [[_mm256_setzero_ps(); C]; R];
    let mut second = [[_mm256_setzero_ps(); C]; R];
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
        let mut scale = [_mm256_setzero_ps(); C];
        let mut bias = [_mm256_setzero_ps(); C];
        for c in 0..C {
            unsafe {
                scale[c] = _mm256_set1_ps(*s[c].add(g));
                bias[c] = _mm256_set1_ps(*o[c].add(g));
            }
        }
        let mut e = g * group;
        while e < (g + 1) * group {
            let mut wa = [_mm256_setzero_ps(); C];
            let mut wb = [_mm256_setzero_ps(); C];
            for c in 0..C {
                let (qa, qb) = unsafe { unpack::<FOUR>(w[c], e) };
                wa[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qa), scale[c], bias[c]);
                wb[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qb), scale[c], bias[c]);
            }
            for r in 0..R {
                let (xa, xb) = unsafe {
                    (
                        _mm256_loadu_ps(x[r].add(e)),
                        _mm256_loadu_ps(x[r].add(e + 8)),
                    )
                };
                for c in 0..C {
                    first[r][c] = _mm256_fmadd_ps(xa, wa[c], first[r][c]);
                    second[r][c] = _mm256_fmadd_ps(xb, wb[c], second[r][c]);
                }
            }
            e += 16;
        }
    }
    for r in 0..R {
        for c in 0..C {
            let total = sum(_mm256_add_ps(first[r][c], second[r][c]));
            unsafe { *b.out.add((i + r) * b.out_stride + j + c) = total };
        }
    }
}

#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn dequantize_bits<const FOUR: bool>(
    format: Format,
    w: *const u8,
    scales: &[f32],
    biases: &[f32],
    out: &mut [f32],
) {
    let group = format.group;
    let to = out.as_mut_ptr();
    for g in 0..out.len() / group {
        let scale = _mm256_set1_ps(scales[g]);
        let bias = _mm256_set1_ps(biases[g]);
        let mut e = g * group;
        while e < (g + 1) * group {
            // SAFETY: e + 16 ≤ k: within the row and `out`.
            unsafe {
                let (qa, qb) = unpack::<FOUR>(w, e);
                let wa = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qa), scale, bias);
                let wb = _mm256_fmadd_ps(_mm256_cvtepi32_ps(qb), scale, bias);
                let (a, b) = match FOUR {
                    // Interleave even (wa) and odd (wb) values back into order.
                    true => {
                        let low = _mm256_unpacklo_ps(wa, wb);
                        let high = _mm256_unpackhi_ps(wa, wb);
                        (
                            _mm256_permute2f128_ps::<0x20>(low, high),
                            _mm256_permute2f128_ps::<0x31>(low, high),
                        )
                    }
                    false => (wa, wb),
                };
                _mm256_storeu_ps(to.add(e), a);
                _mm256_storeu_ps(to.add(e + 8), b);
            }
            e += 16;
        }
    }
}

/// Half-precision values (f16 or bf16) into f32, 8 at a time; see [`super::Isa::widen`].
///
/// # Safety
/// `src` holds `dst.len()` 2-byte values; the CPU has AVX2 and F16C.
#[target_feature(enable = "avx2,fma,f16c")]
pub unsafe fn widen_halves(bf16: bool, src: *const u16, dst: &mut [f32]) {
    let mut i = 0;
    let mut last = [0u16; 8];
    while i < dst.len() {
        let count = (dst.len() - i).min(8);
        // SAFETY: `count` values from i exist; a short last run is copied into `last` first.
        unsafe {
            let from = match count {
                8 => src.add(i),
                _ => {
                    std::ptr::copy_nonoverlapping(src.add(i), last.as_mut_ptr(), count);
                    last.as_ptr()
                }
            };
            let halves = _mm_loadu_si128(from.cast());
            let values = match bf16 {
                true => _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(halves))),
                false => _mm256_cvtph_ps(halves),
            };
            let mut wide = [0.0f32; 8];
            let to = match count {
                8 => dst.as_mut_ptr().add(i),
                _ => wide.as_mut_ptr(),
            };
            _mm256_storeu_ps(to, values);
            if count < 8 {
                dst[i..].copy_from_slice(&wide[..count]);
            }
        }
        i += count;
    }
}
