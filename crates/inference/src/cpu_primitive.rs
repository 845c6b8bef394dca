//! Operations of MLX's lazy graph whose CPU evaluation runs a kernel written here.
//!
//! `native/cpu_kernel.cpp` defines an MLX primitive that, when MLX evaluates it on the CPU
//! stream, calls a Rust function with views of its evaluated inputs and its allocated output.
//! The operation takes its place in the graph like any other: a decoding step is still one
//! evaluation, the kernel runs on MLX's CPU thread in order with the operations around it, and
//! nothing comes back to the host between layers.

use std::ffi::{CStr, c_char, c_int};

use half::{bf16, f16};
use mlx_rs::{Array, Dtype, Stream};

use crate::InferenceError;

/// A view of one evaluated array, as the primitive passes it to a kernel.
#[repr(C)]
pub struct Tensor {
    pub data: *mut u8,
    /// An `mlx_dtype`.
    pub dtype: c_int,
    pub ndim: c_int,
    pub shape: *const i32,
    /// In elements.
    pub strides: *const i64,
}

// SAFETY: a view is only read (inputs), or written in disjoint parts (the output), by the
// threads a kernel splits its work over, all within the kernel's call.
unsafe impl Sync for Tensor {}

/// What the primitive calls: parameters, inputs, output; returns 0 when it succeeded.
pub type Kernel = unsafe extern "C" fn(*const i64, *const Tensor, usize, *mut Tensor) -> c_int;

unsafe extern "C" {
    fn mlxm_cpu_kernel(
        result: *mut mlx_sys::mlx_array,
        kernel: Kernel,
        name: *const c_char,
        params: *const i64,
        n_params: usize,
        inputs: *const mlx_sys::mlx_array,
        n_inputs: usize,
        shape: *const i32,
        ndim: usize,
        dtype: mlx_sys::mlx_dtype,
        stream: mlx_sys::mlx_stream,
    ) -> c_int;
    fn mlxm_last_error() -> *const c_char;
}

/// The body of a [`Kernel`]: the primitive's arguments as slices (`params` parameters), a
/// panic or an error turned into a failed evaluation (MLX raises it), the reason printed.
///
/// # Safety
/// The pointers are those the primitive passes: `params` parameters, `count` inputs, one
/// output, alive for the call.
pub unsafe fn run_kernel(
    name: &str,
    (params, count_params): (*const i64, usize),
    (inputs, count): (*const Tensor, usize),
    output: *mut Tensor,
    body: impl FnOnce(&[i64], &[Tensor], &Tensor) -> Result<(), &'static str>,
) -> c_int {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's contract.
        let (params, inputs, output) = unsafe {
            (
                std::slice::from_raw_parts(params, count_params),
                std::slice::from_raw_parts(inputs, count),
                &*output,
            )
        };
        body(params, inputs, output)
    }));
    match run {
        Ok(Ok(())) => 0,
        Ok(Err(reason)) => {
            eprintln!("mlx-manager: {name}: {reason}");
            1
        }
        Err(_) => 1,
    }
}

/// A lazy array of `shape` and `dtype` that `kernel` computes from `inputs` with `params`, or
/// `None` when the default device is not the CPU (the caller then uses MLX's own operation).
pub fn lazy_op(
    name: &CStr,
    kernel: Kernel,
    params: &[i64],
    inputs: &[&Array],
    shape: &[i32],
    dtype: Dtype,
) -> Result<Option<Array>, InferenceError> {
    if crate::ComputeDevice::current() != crate::ComputeDevice::Cpu {
        return Ok(None);
    }
    let stream = Stream::new();
    let handles: Vec<mlx_sys::mlx_array> = inputs.iter().map(|a| a.as_ptr()).collect();
    // SAFETY: every pointer and length describes a live value of this call; the result is a
    // fresh handle that the returned `Array` owns (and frees) from here on.
    unsafe {
        let mut result = mlx_sys::mlx_array_new();
        let status = mlxm_cpu_kernel(
            &mut result,
            kernel,
            name.as_ptr(),
            params.as_ptr(),
            params.len(),
            handles.as_ptr(),
            handles.len(),
            shape.as_ptr(),
            shape.len(),
            dtype as mlx_sys::mlx_dtype,
            stream.as_ptr(),
        );
        if status != 0 {
            mlx_sys::mlx_array_free(result);
            let message = CStr::from_ptr(mlxm_last_error()).to_string_lossy();
            return Err(InferenceError::Mlx(format!("{name:?}: {message}")));
        }
        Ok(Some(Array::from_ptr(result)))
    }
}

impl Tensor {
    pub fn dims(&self) -> &[i32] {
        // SAFETY: the primitive passes `ndim` dimensions, alive for the kernel's call.
        unsafe { std::slice::from_raw_parts(self.shape, self.ndim as usize) }
    }

    pub fn strides(&self) -> &[i64] {
        // SAFETY: as `dims`.
        unsafe { std::slice::from_raw_parts(self.strides, self.ndim as usize) }
    }

    /// The last dimension (a row's length).
    pub fn row_len(&self) -> usize {
        self.dims().last().map_or(1, |&d| d as usize)
    }

    /// Element offsets of the rows (every index but the last), in row-major order: any
    /// strides, broadcast or transposed, are followed.
    pub fn row_offsets(&self) -> Vec<usize> {
        let dims = self.dims();
        let strides = self.strides();
        let leading = dims.len().saturating_sub(1);
        let rows: usize = dims[..leading].iter().map(|&d| d as usize).product();
        let mut offsets = Vec::with_capacity(rows);
        let mut index = vec![0usize; leading];
        for _ in 0..rows {
            let offset: i64 = index
                .iter()
                .zip(strides)
                .map(|(&i, &stride)| i as i64 * stride)
                .sum();
            offsets.push(offset as usize);
            for axis in (0..leading).rev() {
                index[axis] += 1;
                if index[axis] < dims[axis] as usize {
                    break;
                }
                index[axis] = 0;
            }
        }
        offsets
    }

    /// The stride between a row's elements.
    pub fn element_stride(&self) -> usize {
        self.strides().last().map_or(1, |&s| s as usize)
    }
}

/// The float element types the kernels read and write, each value handled as f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Float {
    F32,
    F16,
    Bf16,
}

impl Float {
    /// The type of an `mlx_dtype`, when it is one of these.
    pub fn of(dtype: c_int) -> Option<Self> {
        match Dtype::try_from(dtype as u32).ok()? {
            Dtype::Float32 => Some(Self::F32),
            Dtype::Float16 => Some(Self::F16),
            Dtype::Bfloat16 => Some(Self::Bf16),
            _ => None,
        }
    }

    pub fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::Bf16 => 2,
        }
    }

    /// Element `index` of `data`.
    ///
    /// # Safety
    /// `data` holds that element, of this type.
    #[inline(always)]
    pub unsafe fn read(self, data: *const u8, index: usize) -> f32 {
        // SAFETY: the caller's contract.
        unsafe {
            match self {
                Self::F32 => *data.cast::<f32>().add(index),
                Self::F16 => (*data.cast::<f16>().add(index)).to_f32(),
                Self::Bf16 => (*data.cast::<bf16>().add(index)).to_f32(),
            }
        }
    }

    /// Writes `value` (rounded to this type) as element `index` of `data`.
    ///
    /// # Safety
    /// `data` holds that element, of this type, and no other thread writes it.
    #[inline(always)]
    pub unsafe fn write(self, data: *mut u8, index: usize, value: f32) {
        // SAFETY: the caller's contract.
        unsafe {
            match self {
                Self::F32 => *data.cast::<f32>().add(index) = value,
                Self::F16 => *data.cast::<f16>().add(index) = f16::from_f32(value),
                Self::Bf16 => *data.cast::<bf16>().add(index) = bf16::from_f32(value),
            }
        }
    }

    /// `value` as the nearest value of this type (round to nearest even), as MLX stores each
    /// operation's result.
    #[inline(always)]
    pub fn round(self, value: f32) -> f32 {
        match self {
            Self::F32 => value,
            Self::F16 => f16::from_f32(value).to_f32(),
            Self::Bf16 => bf16::from_f32(value).to_f32(),
        }
    }

    /// MLX's promotion of two float types: themselves when equal, else f32.
    pub fn promote(self, other: Self) -> Self {
        if self == other { self } else { Self::F32 }
    }
}
