//! Plain Rust over fixed-size arrays, which the compiler turns into whatever vectors the target
//! has: the fallback for CPUs without the instruction sets written out here. Separate
//! multiplies and adds: `mul_add` is a library call where the CPU has no FMA.

use super::Dot;
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

/// See [`super::Isa::dot`].
///
/// # Safety
/// As there.
pub unsafe fn dot<const R: usize, const C: usize>(d: &Dot<R, C>) -> [[f32; C]; R] {
    let four = d.format.bits == 4;
    let mut first = [[[0.0f32; LANES]; C]; R];
    let mut second = [[[0.0f32; LANES]; C]; R];
    let group = d.format.group;
    for g in 0..d.k / group {
        let mut e = g * group;
        while e < (g + 1) * group {
            let mut wa = [[0.0; LANES]; C];
            let mut wb = [[0.0; LANES]; C];
            for c in 0..C {
                // SAFETY: e + 2 · LANES ≤ k: within the row.
                let (qa, qb) = unsafe { unpack(four, d.w[c], e) };
                let (scale, bias) = (d.scales[c][g], d.biases[c][g]);
                for i in 0..LANES {
                    wa[c][i] = qa[i] * scale + bias;
                    wb[c][i] = qb[i] * scale + bias;
                }
            }
            for r in 0..R {
                // SAFETY: as above, for the arranged input row.
                let x = unsafe { std::slice::from_raw_parts(d.x[r].add(e), 2 * LANES) };
                for c in 0..C {
                    for i in 0..LANES {
                        first[r][c][i] += x[i] * wa[c][i];
                        second[r][c][i] += x[LANES + i] * wb[c][i];
                    }
                }
            }
            e += 2 * LANES;
        }
    }
    let mut sums = [[0.0; C]; R];
    for r in 0..R {
        for c in 0..C {
            sums[r][c] = (0..LANES).map(|i| first[r][c][i] + second[r][c][i]).sum();
        }
    }
    sums
}

/// See [`super::Isa::dequantize`].
///
/// # Safety
/// As there.
pub unsafe fn dequantize(
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
                match format.bits {
                    4 => (*w.add(e / 2) >> (4 * (e % 2))) & 0xF,
                    _ => *w.add(e),
                }
            };
            *value = f32::from(q) * scales[g] + biases[g];
        }
    }
}
