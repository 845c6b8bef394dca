//! Reading the product's float operands (any of f32, f16, bf16, any strides) into f32, and
//! writing its f32 results in the output's dtype.

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};

use super::isa::Isa;
use crate::cpu_primitive::{Float, Tensor};

/// Converts `count` contiguous values of type `element` at `src` into `dst`.
///
/// # Safety
/// `src` holds `count` values of that type.
pub unsafe fn widen(element: Float, src: *const u8, dst: &mut [f32]) {
    let count = dst.len();
    // SAFETY (each arm): the caller's contract; half-precision values are 2-byte aligned in
    // MLX's buffers, f32 ones 4-byte aligned.
    unsafe {
        match element {
            Float::F32 => dst.copy_from_slice(std::slice::from_raw_parts(src.cast(), count)),
            Float::F16 => {
                std::slice::from_raw_parts(src.cast::<f16>(), count).convert_to_f32_slice(dst)
            }
            Float::Bf16 => {
                std::slice::from_raw_parts(src.cast::<bf16>(), count).convert_to_f32_slice(dst)
            }
        }
    }
}

/// Per-row group values (scales or biases): `[n, groups]`, rows `stride` elements apart.
pub struct ScaleRows {
    data: *const u8,
    element: Float,
    stride: usize,
    pub groups: usize,
}

impl ScaleRows {
    pub fn new(tensor: &Tensor, n: usize, groups: usize) -> Result<Self, &'static str> {
        let element = Float::of(tensor.dtype).ok_or("scales of an unsupported type")?;
        if tensor.dims() != [n as i32, groups as i32] || tensor.element_stride() != 1 {
            return Err("scales or biases do not match the weights");
        }
        Ok(Self {
            data: tensor.data,
            element,
            stride: tensor.strides()[0] as usize,
            groups,
        })
    }

    /// Rows `from..from + rows`' values, in f32, one row after another into `dst`.
    pub fn widen_rows(&self, isa: Isa, from: usize, rows: usize, dst: &mut [f32]) {
        if self.stride == self.groups {
            // SAFETY: rows from..from + rows exist (checked shape) and are contiguous.
            return unsafe {
                let first = self.data.add(from * self.stride * self.element.size());
                isa.widen(self.element, first, &mut dst[..rows * self.groups]);
            };
        }
        for (row, values) in dst.chunks_exact_mut(self.groups).take(rows).enumerate() {
            self.widen_row(isa, from + row, values);
        }
    }

    /// Row `j`'s values, in f32, into `dst` (`groups` long), converted by `isa`.
    pub fn widen_row(&self, isa: Isa, j: usize, dst: &mut [f32]) {
        // SAFETY: row j < n exists (checked shape), `groups` values long; `isa` was detected.
        unsafe {
            let row = self.data.add(j * self.stride * self.element.size());
            isa.widen(self.element, row, &mut dst[..self.groups]);
        }
    }
}

/// Row `offset` (an element offset) of `x`, `dst.len()` values, into `dst` in f32.
pub fn read_row(x: &Tensor, offset: usize, dst: &mut [f32]) -> Result<(), &'static str> {
    let element = Float::of(x.dtype).ok_or("an input of an unsupported type")?;
    let stride = x.element_stride();
    // SAFETY: the row exists in x's buffer (its offset and stride come from x itself).
    unsafe {
        let row = x.data.add(offset * element.size());
        if stride == 1 {
            widen(element, row, dst);
        } else {
            for (i, value) in dst.iter_mut().enumerate() {
                let mut one = [0.0f32];
                widen(element, row.add(i * stride * element.size()), &mut one);
                *value = one[0];
            }
        }
    }
    Ok(())
}

/// The output, row-major `[m, n]`, written one value or one row at a time.
pub struct Output {
    data: *mut u8,
    element: Float,
    n: usize,
}

// SAFETY: threads sharing an output write disjoint elements (see `put`).
unsafe impl Sync for Output {}

impl Output {
    pub fn new(out: &Tensor, m: usize, n: usize) -> Result<Self, &'static str> {
        let element = Float::of(out.dtype).ok_or("an output of an unsupported type")?;
        let rows: usize = out
            .dims()
            .iter()
            .rev()
            .skip(1)
            .map(|&d| d as usize)
            .product();
        if out.row_len() != n || rows != m {
            return Err("the output does not have the product's shape");
        }
        Ok(Self {
            data: out.data,
            element,
            n,
        })
    }

    /// Whether the output is f32, so a product can write into it directly.
    pub fn f32_data(&self) -> Option<*mut f32> {
        (self.element == Float::F32).then_some(self.data.cast())
    }

    /// Writes row `i`, column `j`.
    ///
    /// # Safety
    /// `i < m`, `j < n`; no other thread writes that element.
    pub unsafe fn put(&self, i: usize, j: usize, value: f32) {
        let index = i * self.n + j;
        // SAFETY: the caller's contract; the output is a fresh, row-major buffer.
        unsafe {
            match self.element {
                Float::F32 => *self.data.cast::<f32>().add(index) = value,
                Float::F16 => *self.data.cast::<f16>().add(index) = f16::from_f32(value),
                Float::Bf16 => *self.data.cast::<bf16>().add(index) = bf16::from_f32(value),
            }
        }
    }
}
