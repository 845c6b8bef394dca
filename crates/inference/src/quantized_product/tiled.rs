//! Many rows of `x` (reading a prompt): a tile of weight rows is unpacked into f32 once (its
//! rows split over the cores), then multiplied by every row of `x` with the BLAS library's
//! general product, which runs near the CPU's peak at these sizes.

use super::Operands;
use super::prologue::Prologue;
use super::values::Output;
use crate::cpu_primitive::Float;
use crate::parallel_split::split_rows;
use crate::sgemm_interposer::{NO_TRANS, ROW_MAJOR, TRANS, cblas_sgemm};

/// Unpacked values per tile: 1 MiB of f32, which stays in the cache for the product.
const TILE_VALUES: usize = 256 * 1024;

/// A buffer written by several threads, each in its own rows.
struct Shared(*mut f32);
// SAFETY: the threads write disjoint rows and the buffer outlives the split.
unsafe impl Sync for Shared {}

pub fn run(op: &Operands) -> Result<(), &'static str> {
    let (m, k, n) = (op.x_rows.len(), op.k, op.n);
    let output = Output::new(op.out, m, n)?;
    let x = rows_of_x(op)?;
    let mut staging = Vec::new();
    let out = match output.f32_data() {
        Some(out) => out,
        None => {
            staging.resize(m * n, 0.0f32);
            staging.as_mut_ptr()
        }
    };
    let tile_rows = (TILE_VALUES / k).max(16).min(n);
    let mut tile = vec![0.0f32; tile_rows * k];
    let shared = Shared(tile.as_mut_ptr());
    let groups = op.scales.groups;
    let mut start = 0;
    while start < n {
        let rows = tile_rows.min(n - start);
        split_rows(rows, 1, rows * k, &|from, to| {
            let shared = &shared;
            let mut values = vec![0.0f32; 2 * groups];
            let (scales, biases) = values.split_at_mut(groups);
            for j in from..to {
                op.scales.widen_row(op.isa, start + j, scales);
                op.biases.widen_row(op.isa, start + j, biases);
                // SAFETY: row j of the tile is this thread's; weight row start + j exists.
                unsafe {
                    let row = std::slice::from_raw_parts_mut(shared.0.add(j * k), k);
                    let w = op.w.add((start + j) * op.w_stride);
                    op.isa.dequantize(op.format, w, scales, biases, row);
                }
            }
        });
        // SAFETY: x is [m, k], the tile [rows, k], out [m, n] (columns start..start + rows).
        unsafe {
            cblas_sgemm(
                ROW_MAJOR,
                NO_TRANS,
                TRANS,
                m as i32,
                rows as i32,
                k as i32,
                1.0,
                x.as_ptr(),
                k as i32,
                tile.as_ptr(),
                k as i32,
                0.0,
                out.add(start),
                n as i32,
            )
        };
        start += rows;
    }
    if !staging.is_empty() {
        for i in 0..m {
            for j in 0..n {
                // SAFETY: within [m, n], on this thread alone.
                unsafe { output.put(i, j, staging[i * n + j]) };
            }
        }
    }
    Ok(())
}

/// `x` (after the prologue) as contiguous f32 rows: its own buffer when it already is that,
/// else a prepared copy.
fn rows_of_x<'a>(op: &'a Operands) -> Result<std::borrow::Cow<'a, [f32]>, &'static str> {
    let (m, k) = (op.x_rows.len(), op.k);
    let contiguous = op.x.element_stride() == 1
        && op
            .x_rows
            .iter()
            .enumerate()
            .all(|(i, &offset)| offset == i * k);
    if contiguous
        && matches!(op.prologue, Prologue::None)
        && Float::of(op.x.dtype) == Some(Float::F32)
    {
        // SAFETY: x holds m rows of k f32 values, alive for the kernel's call.
        return Ok(std::borrow::Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(op.x.data.cast::<f32>(), m * k)
        }));
    }
    let mut rows = vec![0.0f32; m * k];
    let mut raw = vec![0.0f32; op.x.row_len()];
    for (i, row) in rows.chunks_exact_mut(k).enumerate() {
        op.read_row(i, &mut raw, row)?;
    }
    Ok(std::borrow::Cow::Owned(rows))
}
