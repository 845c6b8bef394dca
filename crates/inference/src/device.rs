//! Which device MLX computes on.

use mlx_rs::{Device, DeviceType};

/// Where computation runs: the GPU (Metal on a Mac, CUDA on Linux) when MLX has one, else the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeDevice {
    Cpu,
    Gpu,
}

impl ComputeDevice {
    /// The device MLX uses by default in this process.
    pub fn current() -> Self {
        match Device::default().get_type() {
            Ok(DeviceType::Gpu) => Self::Gpu,
            _ => Self::Cpu,
        }
    }

    /// MLX's recommended working-set size on a Mac's GPU (MLX's default memory limit is 1.5×
    /// it); `None` elsewhere. Read it before [`ComputeDevice::apply_memory_budget`] changes
    /// that limit.
    pub fn recommended_working_set_bytes() -> Option<u64> {
        if !cfg!(target_os = "macos") || Self::current() != Self::Gpu {
            return None;
        }
        let limit = mlx_rs::memory::memory_limit().ok()?;
        Some((limit as f64 / 1.5) as u64)
    }

    /// On a GPU, caps MLX's memory at the pool's budget (an allocation beyond it fails, which
    /// the pool handles, instead of paging) and its cache of freed buffers at an eighth of it.
    /// On the CPU nothing is set: memory there is the system's, and the budget is enforced by
    /// admission.
    pub fn apply_memory_budget(limit_bytes: u64) -> Result<(), crate::InferenceError> {
        if Self::current() == Self::Gpu {
            let limit = usize::try_from(limit_bytes).unwrap_or(usize::MAX);
            mlx_rs::memory::set_memory_limit(limit)?;
            mlx_rs::memory::set_cache_limit(limit / 8)?;
        }
        Ok(())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
        }
    }
}

#[cfg(test)]
mod tests {
    use mlx_rs::Array;

    use super::*;

    #[test]
    fn mlx_computes_a_matmul_on_the_default_device() {
        let a = Array::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
        let b = Array::from_slice(&[5.0f32, 6.0, 7.0, 8.0], &[2, 2]);
        let product = a.matmul(&b).unwrap();
        assert_eq!(product.as_slice::<f32>(), [19.0, 22.0, 43.0, 50.0]);
        assert!(matches!(
            ComputeDevice::current(),
            ComputeDevice::Cpu | ComputeDevice::Gpu
        ));
    }
}
