//! Rows of `x` up to a prompt chunk's worth (decoding steps, alone or batched, short prompts):
//! each step of packed weights is unpacked once, in registers, and multiplied with up to four
//! rows of `x` at a time; the weight rows are split over the cores, two at a time.

use super::Operands;
use super::isa::{Dot, Isa};
use super::values::Output;
use crate::parallel_split::split_rows;

/// Weight rows per block: two independent rows keep the FMA units busy on one input row.
const C: usize = 2;
/// Weight rows whose scales and biases are converted to f32 together (a call per row cost
/// more than the conversion).
const ROWS_AT_ONCE: usize = 64;

/// Rows of `x` per block: as many as the registers hold sums for (4 × 2 × 2 of AVX-512's 32;
/// 2 × 2 × 2 of AVX2's 16).
fn rows_per_block(isa: Isa) -> usize {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => 2,
        _ => 4,
    }
}

pub fn run(op: &Operands) -> Result<(), &'static str> {
    let (m, k) = (op.x_rows.len(), op.k);
    let output = Output::new(op.out, m, op.n)?;
    let mut arranged = vec![0.0f32; m * k];
    let mut raw = vec![0.0f32; op.x.row_len()];
    let mut row = vec![0.0f32; k];
    for i in 0..m {
        op.read_row(i, &mut raw, &mut row)?;
        op.isa
            .arrange(op.format, &row, &mut arranged[i * k..(i + 1) * k]);
    }
    let arranged = &arranged;
    let output = &output;
    split_rows(op.n, C, op.n * k, &|from, to| {
        let groups = op.scales.groups;
        // The scales, then the biases, of the next rows, in f32.
        let mut values = vec![0.0f32; 2 * ROWS_AT_ONCE * groups];
        let (scales, biases) = values.split_at_mut(ROWS_AT_ONCE * groups);
        let mut start = from;
        while start < to {
            let rows = (to - start).min(ROWS_AT_ONCE);
            op.scales.widen_rows(op.isa, start, rows, scales);
            op.biases.widen_rows(op.isa, start, rows, biases);
            let (scales, biases) = (&*scales, &*biases);
            let mut j = start;
            while j < start + rows {
                let count = (start + rows - j).min(C);
                let part = |values, c| row_part(values, j - start + c, groups);
                match count {
                    C => columns::<C>(
                        op,
                        arranged,
                        output,
                        j,
                        [part(scales, 0), part(scales, 1)],
                        [part(biases, 0), part(biases, 1)],
                    ),
                    _ => columns::<1>(
                        op,
                        arranged,
                        output,
                        j,
                        [part(scales, 0)],
                        [part(biases, 0)],
                    ),
                }
                j += count;
            }
            start += rows;
        }
    });
    Ok(())
}

/// Row `c`'s values of rows laid out one after another, `groups` each.
fn row_part(values: &[f32], c: usize, groups: usize) -> &[f32] {
    &values[c * groups..(c + 1) * groups]
}

/// Every row of `x` times weight rows `j..j + W`.
fn columns<const W: usize>(
    op: &Operands,
    arranged: &[f32],
    output: &Output,
    j: usize,
    scales: [&[f32]; W],
    biases: [&[f32]; W],
) {
    let m = op.x_rows.len();
    let most = rows_per_block(op.isa);
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(most);
        let block = Block {
            op,
            arranged,
            output,
            i,
            j,
        };
        match rows {
            4 => block.compute::<4, W>(scales, biases),
            3 => block.compute::<3, W>(scales, biases),
            2 => block.compute::<2, W>(scales, biases),
            _ => block.compute::<1, W>(scales, biases),
        }
        i += rows;
    }
}

/// Rows from `i` of `x` by weight rows from `j`.
struct Block<'a> {
    op: &'a Operands<'a>,
    arranged: &'a [f32],
    output: &'a Output,
    i: usize,
    j: usize,
}

impl Block<'_> {
    fn compute<const R: usize, const W: usize>(&self, scales: [&[f32]; W], biases: [&[f32]; W]) {
        let (op, k) = (self.op, self.op.k);
        let dot: Dot<R, W> = Dot {
            format: op.format,
            k,
            x: std::array::from_fn(|r| self.arranged[(self.i + r) * k..].as_ptr()),
            // SAFETY: rows j..j + W exist (the caller's range is within n).
            w: std::array::from_fn(|c| unsafe { op.w.add((self.j + c) * op.w_stride) }),
            scales,
            biases,
        };
        // SAFETY: every row holds k values; the ISA was detected on this CPU.
        let sums = unsafe { op.isa.dot(&dot) };
        for (r, row) in sums.iter().enumerate() {
            for (c, &sum) in row.iter().enumerate() {
                // SAFETY: within [m, n]; this thread's columns only.
                unsafe { self.output.put(self.i + r, self.j + c, sum) };
            }
        }
    }
}
