//! Rows of `x` up to a prompt chunk's worth (decoding steps, alone or batched, short prompts):
//! each step of packed weights is unpacked once, in registers, and multiplied with up to four
//! rows of `x` at a time (two weight rows at a time keep the FMA units busy on one input row);
//! blocks of weight rows are split over the cores.

use super::Operands;
use super::isa::Block;
use super::values::Output;
use crate::parallel_split::split_rows;

/// Weight rows per block: their scales and biases are converted to f32 together, and the
/// instruction set's loops run over all of them in one call (a call per pair of rows cost a
/// third of the product on SmolLM2's shapes).
const ROWS_AT_ONCE: usize = 64;

/// An output written by several threads, each in its own columns.
struct Shared(*mut f32);
// SAFETY: the threads write disjoint columns of a buffer that outlives the split.
unsafe impl Sync for Shared {}

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
    // An f32 output is written in place; another type through each block's f32 results.
    let direct = output.f32_data().map(Shared);
    let direct = &direct;
    split_rows(op.n, 2, op.n * k, &|from, to| {
        let groups = op.scales.groups;
        let mut values = vec![0.0f32; 2 * ROWS_AT_ONCE * groups];
        let (scales, biases) = values.split_at_mut(ROWS_AT_ONCE * groups);
        let mut staged = match direct {
            Some(_) => Vec::new(),
            None => vec![0.0f32; m * ROWS_AT_ONCE],
        };
        let mut start = from;
        while start < to {
            let rows = (to - start).min(ROWS_AT_ONCE);
            op.scales.widen_rows(op.isa, start, rows, scales);
            op.biases.widen_rows(op.isa, start, rows, biases);
            let (out, out_stride) = match direct {
                // SAFETY: column `start` of the [m, n] output.
                Some(out) => (unsafe { out.0.add(start) }, op.n),
                None => (staged.as_mut_ptr(), ROWS_AT_ONCE),
            };
            let block = Block {
                format: op.format,
                k,
                x: arranged,
                m,
                // SAFETY: weight row `start` exists.
                w: unsafe { op.w.add(start * op.w_stride) },
                w_stride: op.w_stride,
                rows,
                scales,
                biases,
                out,
                out_stride,
            };
            // SAFETY: the block's rows exist; `out` has room for m rows of its columns, which
            // no other thread writes; the instruction set was detected on this CPU.
            unsafe { op.isa.block(&block) };
            if direct.is_none() {
                for i in 0..m {
                    for j in 0..rows {
                        // SAFETY: within [m, n], in this thread's columns.
                        unsafe { output.put(i, start + j, staged[i * ROWS_AT_ONCE + j]) };
                    }
                }
            }
            start += rows;
        }
    });
    Ok(())
}
