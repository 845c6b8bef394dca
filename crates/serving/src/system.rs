//! What the system page shows about the machine and the engine: facts read from the operating
//! system, the linked MLX library and the process, never configured values.

use std::time::Duration;

use mlx_manager_core::machine::MachineFacts;
use mlx_manager_inference::{ComputeDevice, runtime};

use crate::profiles::run_blocking;
use crate::{Serving, ServingError};

#[derive(Debug, Clone)]
pub struct SystemInfo {
    pub machine: MachineFacts,
    /// Where MLX computes: `cpu` or `gpu`.
    pub device: ComputeDevice,
    /// With a GPU, its API (`metal`, `cuda`).
    pub gpu_backend: Option<&'static str>,
    pub mlx_version: Option<String>,
    pub blas: Option<String>,
    /// Since the server started.
    pub uptime: Duration,
}

impl Serving {
    pub async fn system_info(&self) -> Result<SystemInfo, ServingError> {
        let uptime = self.inner.started.elapsed();
        run_blocking(move || {
            let device = ComputeDevice::current();
            SystemInfo {
                machine: MachineFacts::read(),
                device,
                gpu_backend: (device == ComputeDevice::Gpu).then(runtime::gpu_backend),
                mlx_version: runtime::mlx_version(),
                blas: runtime::blas_library(),
                uptime,
            }
        })
        .await
    }
}
