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
