//! The instruction sets the kernel is written for, chosen once at run time, and what every one
//! of them provides: a block of dot products and the unpacking of one weight row.
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
use super::values::{Element, widen};

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

/// One block of dot products: `R` rows of arranged inputs by `C` weight rows.
pub struct Dot<'a, const R: usize, const C: usize> {
    pub format: Format,
    pub k: usize,
    pub x: [*const f32; R],
    pub w: [*const u8; C],
    pub scales: [&'a [f32]; C],
    pub biases: [&'a [f32]; C],
}

impl Isa {
    /// The best this CPU runs; `None` never happens today (the portable kernel runs anywhere)
    /// but keeps the caller's fallback to MLX in one place.
    pub fn detect() -> Option<Self> {
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
        Some(*DETECTED)
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

    /// Lays out one input row (`k` values) for [`Isa::dot`].
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

    /// `R × C` dot products of arranged input rows and unpacked weight rows.
    ///
    /// # Safety
    /// The rows hold `k` values (`k · bits / 8` bytes); scales and biases one per group; the
    /// CPU runs this instruction set.
    pub unsafe fn dot<const R: usize, const C: usize>(self, dot: &Dot<R, C>) -> [[f32; C]; R] {
        // SAFETY (each arm): the caller's contract.
        unsafe {
            match self {
                #[cfg(target_arch = "x86_64")]
                Self::Avx512 => avx512::dot(dot),
                #[cfg(target_arch = "x86_64")]
                Self::Avx2 => avx2::dot(dot),
                #[cfg(target_arch = "aarch64")]
                Self::Neon => neon::dot(dot),
                Self::Portable => portable::dot(dot),
            }
        }
    }

    /// Converts `dst.len()` values of type `element` at `src` into `dst` (a row's scales).
    ///
    /// # Safety
    /// `src` holds that many values; the CPU runs this instruction set.
    pub unsafe fn widen(self, element: Element, src: *const u8, dst: &mut [f32]) {
        let bf16 = element == Element::Bf16;
        // SAFETY (each arm): the caller's contract.
        unsafe {
            match (self, element) {
                (_, Element::F32) => widen(element, src, dst),
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
    /// As [`Isa::dot`], for one row.
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
