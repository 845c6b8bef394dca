//! NEON (aarch64): a step of 16 values as two runs of 8, each run two 4-float vectors.

use std::arch::aarch64::*;

use super::Block;
use crate::quantized_product::Format;

/// Values per run (two vectors): the layout of a step is as for AVX2.
pub const LANES: usize = 8;

type Run = [float32x4_t; 2];

/// Eight bytes to eight floats.
#[inline(always)]
unsafe fn widen(bytes: uint8x8_t) -> Run {
    // SAFETY: register operations only.
    unsafe {
        let wide = vmovl_u8(bytes);
        [
            vcvtq_f32_u32(vmovl_u16(vget_low_u16(wide))),
            vcvtq_f32_u32(vmovl_high_u16(wide)),
        ]
    }
}

/// The step's two runs of unpacked values from `w` at value `e`.
#[inline(always)]
unsafe fn unpack<const FOUR: bool>(w: *const u8, e: usize) -> (Run, Run) {
    // SAFETY: the caller's row holds the step's bytes.
    unsafe {
        let (a, b) = match FOUR {
            true => {
                let bytes = vld1_u8(w.add(e / 2));
                (vand_u8(bytes, vdup_n_u8(0xF)), vshr_n_u8::<4>(bytes))
            }
            false => (vld1_u8(w.add(e)), vld1_u8(w.add(e + 8))),
        };
        (widen(a), widen(b))
    }
}

#[inline(always)]
unsafe fn scaled(q: Run, scale: float32x4_t, bias: float32x4_t) -> Run {
    // SAFETY: register operations only.
    unsafe { [vfmaq_f32(bias, q[0], scale), vfmaq_f32(bias, q[1], scale)] }
}

super::block_loops!(most = 4);

/// Input rows `i..i + R` by weight rows `j..j + C`.
///
/// # Safety
/// The block's rows exist.
#[inline(always)]
unsafe fn dot_bits<const R: usize, const C: usize, const FOUR: bool>(
    b: &Block,
    i: usize,
    j: usize,
) {
    // SAFETY: the caller's contract; every pointer stays within its row.
    unsafe {
        let zero = vdupq_n_f32(0.0);
        let mut first = [[[zero; 2]; C]; R];
        let mut second = [[[zero; 2]; C]; R];
        let (k, group, groups) = (b.k, b.format.group, b.groups());
        for g in 0..groups {
            let mut e = g * group;
            while e < (g + 1) * group {
                let mut wa = [[zero; 2]; C];
                let mut wb = [[zero; 2]; C];
                for c in 0..C {
                    let scale = vdupq_n_f32(b.scales[(j + c) * groups + g]);
                    let bias = vdupq_n_f32(b.biases[(j + c) * groups + g]);
                    let (qa, qb) = unpack::<FOUR>(b.w.add((j + c) * b.w_stride), e);
                    wa[c] = scaled(qa, scale, bias);
                    wb[c] = scaled(qb, scale, bias);
                }
                for r in 0..R {
                    let x = b.x.as_ptr().add((i + r) * k + e);
                    let xa = [vld1q_f32(x), vld1q_f32(x.add(4))];
                    let xb = [vld1q_f32(x.add(8)), vld1q_f32(x.add(12))];
                    for c in 0..C {
                        for h in 0..2 {
                            first[r][c][h] = vfmaq_f32(first[r][c][h], xa[h], wa[c][h]);
                            second[r][c][h] = vfmaq_f32(second[r][c][h], xb[h], wb[c][h]);
                        }
                    }
                }
                e += 2 * LANES;
            }
        }
        for r in 0..R {
            for c in 0..C {
                let a = vaddq_f32(first[r][c][0], first[r][c][1]);
                let s = vaddq_f32(second[r][c][0], second[r][c][1]);
                *b.out.add((i + r) * b.out_stride + j + c) = vaddvq_f32(vaddq_f32(a, s));
            }
        }
    }
}

#[inline(always)]
unsafe fn dequantize_bits<const FOUR: bool>(
    format: Format,
    w: *const u8,
    scales: &[f32],
    biases: &[f32],
    out: &mut [f32],
) {
    let group = format.group;
    let to = out.as_mut_ptr();
    // SAFETY: the caller's contract; e + 16 ≤ k for every step.
    unsafe {
        for g in 0..out.len() / group {
            let scale = vdupq_n_f32(scales[g]);
            let bias = vdupq_n_f32(biases[g]);
            let mut e = g * group;
            while e < (g + 1) * group {
                let (qa, qb) = unpack::<FOUR>(w, e);
                let (a, b) = (scaled(qa, scale, bias), scaled(qb, scale, bias));
                let values = match FOUR {
                    // Interleave even (a) and odd (b) values back into order.
                    true => [
                        vzip1q_f32(a[0], b[0]),
                        vzip2q_f32(a[0], b[0]),
                        vzip1q_f32(a[1], b[1]),
                        vzip2q_f32(a[1], b[1]),
                    ],
                    false => [a[0], a[1], b[0], b[1]],
                };
                for (i, value) in values.into_iter().enumerate() {
                    vst1q_f32(to.add(e + 4 * i), value);
                }
                e += 2 * LANES;
            }
        }
    }
}
