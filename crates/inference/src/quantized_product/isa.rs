//! The instruction sets the kernel is written for, chosen once at run time, and what every one
//! of them provides: a block of the product and the unpacking of one weight row.
//!
//! One step of a kernel covers `2 · lanes` values of a row: for 4 bits, `lanes` bytes hold them
//! (each byte's low nibble is an even value, its high nibble the odd one after it); for 8 bits,
//! two runs of `lanes` bytes. The direct path's inputs are laid out to match: for 4 bits, each
//! step's even values first, then its odd ones ([`Isa::arrange`]).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
mod portable;

use std::sync::LazyLock;

use super::Format;
use super::values::widen;
use crate::cpu_primitive::Float;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "aarch64")]
    Neon,
    /// Plain Rust (what the compiler vectorizes by itself); CPUs without the above.
    Portable,
}

/// A block of the product: every arranged input row by `rows` consecutive weight rows. One
/// call per block, so the loops over rows run inside the instruction set's code.
pub struct Block<'a> {
    pub format: Format,
    pub k: usize,
    /// The arranged input rows, `m` of `k` values.
    pub x: &'a [f32],
    pub m: usize,
    /// The first weight row; the next ones `w_stride` bytes apart.
    pub w: *const u8,
    pub w_stride: usize,
    pub rows: usize,
    /// The rows' scales and biases in f32, one row's groups after another.
    pub scales: &'a [f32],
    pub biases: &'a [f32],
    /// Where input row `i` by weight row `j` goes: `out + i · out_stride + j`.
    pub out: *mut f32,
    pub out_stride: usize,
}

impl Block<'_> {
    fn groups(&self) -> usize {
        self.k / self.format.group
    }
}

/// An instruction set's entry points, with its target features: `block`, the loops over a
/// block's weight rows (two at a time) and input rows (up to `$most` at a time) around its
/// `dot_bits::<R, C, FOUR>(block, i, j)`, compiled into one function; and `dequantize`, which
/// picks its `dequantize_bits::<FOUR>`.
macro_rules! block_loops {
    ($(#[$attr:meta])* most = $most:literal) => {
        /// See [`super::Isa::block`].
        ///
        /// # Safety
        /// As there.
        $(#[$attr])*
        pub unsafe fn block(b: &super::Block) {
            // SAFETY: the caller's contract.
            unsafe {
                match b.format.bits {
                    4 => block_bits::<true>(b),
                    _ => block_bits::<false>(b),
                }
            }
        }

        /// See [`super::Isa::dequantize`].
        ///
        /// # Safety
        /// As there.
        $(#[$attr])*
        pub unsafe fn dequantize(
            format: crate::quantized_product::Format,
            w: *const u8,
            scales: &[f32],
            biases: &[f32],
            out: &mut [f32],
        ) {
            // SAFETY: the caller's contract.
            unsafe {
                match format.bits {
                    4 => dequantize_bits::<true>(format, w, scales, biases, out),
                    _ => dequantize_bits::<false>(format, w, scales, biases, out),
                }
            }
        }

        $(#[$attr])*
        #[inline]
        unsafe fn block_bits<const FOUR: bool>(b: &super::Block) {
            let mut j = 0;
            while j + 2 <= b.rows {
                // SAFETY: weight rows j, j + 1 are in the block.
                unsafe { rows_by::<2, FOUR>(b, j) };
                j += 2;
            }
            if j < b.rows {
                // SAFETY: weight row j is in the block.
                unsafe { rows_by::<1, FOUR>(b, j) };
            }
        }

        $(#[$attr])*
        #[inline]
        unsafe fn rows_by<const C: usize, const FOUR: bool>(b: &super::Block, j: usize) {
            let mut i = 0;
            while i < b.m {
                let left = b.m - i;
                // SAFETY: input rows i.. and weight rows j.. exist.
                unsafe {
                    if $most >= 4 && left >= 4 {
                        dot_bits::<4, C, FOUR>(b, i, j);
                        i += 4;
                    } else if left >= 2 {
                        dot_bits::<2, C, FOUR>(b, i, j);
                        i += 2;
                    } else {
                        dot_bits::<1, C, FOUR>(b, i, j);
                        i += 1;
                    }
                }
            }
        }
    };
}
use block_loops;

impl Isa {
    /// The best this CPU runs (the portable kernel runs anywhere), detected once.
    pub fn detect() -> Self {
        static DETECTED: LazyLock<Isa> = LazyLock::new(|| {
            #[cfg(target_arch = "x86_64")]
            {
                let avx2 = std::is_x86_feature_detected!("avx2")
                    && std::is_x86_feature_detected!("fma")
                    && std::is_x86_feature_detected!("f16c");
                if avx2 && std::is_x86_feature_detected!("avx512f") {
                    return Isa::Avx512;
                }
                if avx2 {
                    return Isa::Avx2;
                }
            }
            #[cfg(target_arch = "aarch64")]
            if std::arch::is_aarch64_feature_detected!("neon") {
                return Isa::Neon;
            }
            Isa::Portable
        });
        *DETECTED
    }

    /// Every kernel this CPU can run (the tests compare them all).
    #[cfg(test)]
    pub fn all_supported() -> Vec<Self> {
        let mut all = vec![Self::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
                && std::is_x86_feature_detected!("f16c")
            {
                all.push(Self::Avx2);
            }
            if std::is_x86_feature_detected!("avx512f") && all.contains(&Self::Avx2) {
                all.push(Self::Avx512);
            }
        }
        #[cfg(target_arch = "aarch64")]
        all.push(Self::Neon);
        all
    }

    /// Values of a row one vector holds.
    pub fn lanes(self) -> usize {
        match self {
            #[cfg(target_arch = "x86_64")]
            Self::Avx512 => 16,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => 8,
            #[cfg(target_arch = "aarch64")]
            Self::Neon => neon::LANES,
            Self::Portable => portable::LANES,
        }
    }

    /// Lays out one input row (`k` values) for [`Isa::block`].
    pub fn arrange(self, format: Format, row: &[f32], arranged: &mut [f32]) {
        if format.bits != 4 {
            return arranged.copy_from_slice(row);
        }
        let lanes = self.lanes();
        for (from, to) in row
            .chunks_exact(2 * lanes)
            .zip(arranged.chunks_exact_mut(2 * lanes))
        {
            let (even, odd) = to.split_at_mut(lanes);
            for i in 0..lanes {
                even[i] = from[2 * i];
                odd[i] = from[2 * i + 1];
            }
        }
    }

    /// Computes a block of the product.
    ///
    /// # Safety
    /// The input rows hold `k` values, the weight rows `k · bits / 8` bytes; scales and biases
    /// one per group per row; `out` has room for every result; the CPU runs this instruction
    /// set.
    pub unsafe fn block(self, block: &Block) {
        // SAFETY (each arm): the caller's contract.
        unsafe {
            match self {
                #[cfg(target_arch = "x86_64")]
                Self::Avx512 => avx512::block(block),
                #[cfg(target_arch = "x86_64")]
                Self::Avx2 => avx2::block(block),
                #[cfg(target_arch = "aarch64")]
                Self::Neon => neon::block(block),
                Self::Portable => portable::block(block),
            }
        }
    }

    /// Converts `dst.len()` values of type `element` at `src` into `dst` (a row's scales).
    ///
    /// # Safety
    /// `src` holds that many values; the CPU runs this instruction set.
    pub unsafe fn widen(self, element: Float, src: *const u8, dst: &mut [f32]) {
        let bf16 = element == Float::Bf16;
        // SAFETY (each arm): the caller's contract.
        unsafe {
            match (self, element) {
                (_, Float::F32) => widen(element, src, dst),
                #[cfg(target_arch = "x86_64")]
                (Self::Avx512, _) => avx512::widen_halves(bf16, src.cast(), dst),
                #[cfg(target_arch = "x86_64")]
                (Self::Avx2, _) => avx2::widen_halves(bf16, src.cast(), dst),
                _ => widen(element, src, dst),
            }
        }
    }

    /// Unpacks one weight row into `out` (`k` values, in order).
    ///
    /// # Safety
    /// As [`Isa::block`], for one row.
    pub unsafe fn dequantize(
        self,
        format: Format,
        w: *const u8,
        scales: &[f32],
        biases: &[f32],
        out: &mut [f32],
    ) {
        // SAFETY (each arm): the caller's contract.
        unsafe {
            match self {
                #[cfg(target_arch = "x86_64")]
                Self::Avx512 => avx512::dequantize(format, w, scales, biases, out),
                #[cfg(target_arch = "x86_64")]
                Self::Avx2 => avx2::dequantize(format, w, scales, biases, out),
                #[cfg(target_arch = "aarch64")]
                Self::Neon => neon::dequantize(format, w, scales, biases, out),
                Self::Portable => portable::dequantize(format, w, scales, biases, out),
            }
        }
    }
}
