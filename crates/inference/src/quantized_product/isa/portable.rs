//! Plain Rust over fixed-size arrays, which the compiler turns into whatever vectors the target
//! has: the fallback for CPUs without the instruction sets written out here. Separate
//! multiplies and adds: `mul_add` is a library call where the CPU has no FMA.

use super::Block;
use crate::quantized_product::Format;

pub const LANES: usize = 8;

/// The step's two runs of unpacked values from `w` at value `e`.
///
/// # Safety
/// The row holds the step's bytes.
#[inline(always)]
unsafe fn unpack(four: bool, w: *const u8, e: usize) -> ([f32; LANES], [f32; LANES]) {
    let (mut a, mut b) = ([0.0; LANES], [0.0; LANES]);
    // SAFETY: the caller's contract.
    unsafe {
        for i in 0..LANES {
            match four {
                true => {
                    let byte = *w.add(e / 2 + i);
                    a[i] = f32::from(byte & 0xF);
                    b[i] = f32::from(byte >> 4);
                }
                false => {
                    a[i] = f32::from(*w.add(e + i));
                    b[i] = f32::from(*w.add(e + LANES + i));
                }
            }
        }
    }
    (a, b)
}

super::block_loops!(most = 4);

/// Input rows `i..i + R` by weight rows `j..j + C`.
///
/// # Safety
/// The block's rows exist.
#[inline]
unsafe fn dot_bits<const R: usize, const C: usize, const FOUR: bool>(
    b: &Block,
    i: usize,
    j: usize,
) {
    let mut first = [[[0.0f32; LANES]; C]; R];
    let mut second = [[[0.0f32; LANES]; C]; R];
    let (k, group, groups) = (b.k, b.format.group, b.groups());
    for g in 0..groups {
        let mut e = g * group;
        while e < (g + 1) * group {
            let mut wa = [[0.0; LANES]; C];
            let mut wb = [[0.0; LANES]; C];
            for c in 0..C {
                // SAFETY: weight row j + c exists; e + 2 · LANES ≤ k.
                let (qa, qb) = unsafe { unpack(FOUR, b.w.add((j + c) * b.w_stride), e) };
                let (scale, bias) = (
                    b.scales[(j + c) * groups + g],
                    b.biases[(j + c) * groups + g],
                );
                for l in 0..LANES {
                    wa[c][l] = qa[l] * scale + bias;
                    wb[c][l] = qb[l] * scale + bias;
                }
            }
            for r in 0..R {
                let x = &b.x[(i + r) * k + e..(i + r) * k + e + 2 * LANES];
                for c in 0..C {
                    for l in 0..LANES {
                        first[r][c][l] += x[l] * wa[c][l];
                        second[r][c][l] += x[LANES + l] * wb[c][l];
                    }
                }
            }
            e += 2 * LANES;
        }
    }
    for r in 0..R {
        for c in 0..C {
            let sum: f32 = (0..LANES).map(|l| first[r][c][l] + second[r][c][l]).sum();
            // SAFETY: the caller's output has room for row i + r, column j + c.
            unsafe { *b.out.add((i + r) * b.out_stride + j + c) = sum };
        }
    }
}

/// One weight row, unpacked in order.
///
/// # Safety
/// The row holds `out.len()` values.
#[inline]
unsafe fn dequantize_bits<const FOUR: bool>(
    format: Format,
    w: *const u8,
    scales: &[f32],
    biases: &[f32],
    out: &mut [f32],
) {
    let group = format.group;
    for (g, values) in out.chunks_exact_mut(group).enumerate() {
        for (i, value) in values.iter_mut().enumerate() {
            let e = g * group + i;
            // SAFETY: e < k: within the row.
            let q = unsafe {
                match FOUR {
                    true => (*w.add(e / 2) >> (4 * (e % 2))) & 0xF,
                    false => *w.add(e),
                }
            };
            *value = f32::from(q) * scales[g] + biases[g];
        }
    }
}
