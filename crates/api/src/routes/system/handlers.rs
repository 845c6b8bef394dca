//! The system handlers and their bodies.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use mlx_manager_serving::{MemoryReport, SystemInfo};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, problems};
use crate::extract::{AdminUser, CurrentUser};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemMemoryResponse {
    pub total_bytes: u64,
    /// What the operating system can still give (free plus reclaimable caches).
    pub available_bytes: u64,
    /// `total_bytes - available_bytes`.
    pub used_bytes: u64,
    /// `used_bytes` as a percentage of `total_bytes`, to one decimal.
    pub percent_used: f64,
    /// The model pool's memory limit.
    pub pool_limit_bytes: u64,
    /// Held by loaded models (loading ones by their estimate).
    pub pool_used_bytes: u64,
}

impl From<MemoryReport> for SystemMemoryResponse {
    fn from(report: MemoryReport) -> Self {
        let total = report.system.total_bytes;
        let used = total.saturating_sub(report.system.available_bytes);
        Self {
            total_bytes: total,
            available_bytes: report.system.available_bytes,
            used_bytes: used,
            percent_used: (used as f64 * 1000.0 / total.max(1) as f64).round() / 10.0,
            pool_limit_bytes: report.pool.limits.memory_limit_bytes,
            pool_used_bytes: report.pool.used_bytes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemInfoResponse {
    /// MLX Manager's version.
    pub version: &'static str,
    pub os: String,
    pub kernel: String,
    /// The processor's brand string.
    pub cpu: String,
    /// Physical cores.
    pub cores: usize,
    pub logical_cpus: usize,
    pub memory_bytes: u64,
    /// Where MLX computes: `cpu` or `gpu`.
    pub device: &'static str,
    /// With a GPU, its API: `metal` or `cuda`.
    pub gpu_backend: Option<&'static str>,
    /// The linked MLX library's version.
    pub mlx_version: Option<String>,
    /// The BLAS library MLX's CPU kernels call, as loaded (e.g. `OpenBLAS (libopenblas.so.0)`).
    pub blas: Option<String>,
    /// Seconds since the server started.
    pub uptime_secs: u64,
}

impl From<SystemInfo> for SystemInfoResponse {
    fn from(info: SystemInfo) -> Self {
        let machine = info.machine;
        Self {
            version: env!("CARGO_PKG_VERSION"),
            os: machine.os,
            kernel: machine.kernel,
            cpu: machine.cpu,
            cores: machine.physical_cores,
            logical_cpus: machine.logical_cpus,
            memory_bytes: machine.memory_bytes,
            device: info.device.as_str(),
            gpu_backend: info.gpu_backend,
            mlx_version: info.mlx_version,
            blas: info.blas,
            uptime_secs: info.uptime.as_secs(),
        }
    }
}

/// The machine's memory and the model pool's share of it.
#[utoipa::path(
    get,
    path = "/api/system/memory",
    tag = "system",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Memory", body = SystemMemoryResponse),
        problems::Unauthorized,
    ),
)]
pub async fn system_memory(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Json<SystemMemoryResponse> {
    Json(state.serving.memory().into())
}

/// The machine, the device MLX computes on, the linked MLX and BLAS, and the server's uptime.
#[utoipa::path(
    get,
    path = "/api/system/info",
    tag = "system",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Facts", body = SystemInfoResponse),
        problems::Unauthorized,
    ),
)]
pub async fn system_info(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Json<SystemInfoResponse>, ApiError> {
    Ok(Json(state.serving.system_info().await?.into()))
}

/// The server's counters in the Prometheus text format (OpenMetrics 1.0): HTTP requests by
/// route template, method and status, their durations, sign-ins by outcome, and the model
/// pool (models loaded, memory per model and the limit, running and queued requests).
/// Admins only (a token or an API key).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    responses(
        (status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String),
        problems::Unauthorized,
        problems::Forbidden,
    ),
)]
pub async fn metrics(State(state): State<AppState>, _admin: AdminUser) -> impl IntoResponse {
    metrics_text(&state)
}

/// The metrics in the OpenMetrics text format.
pub(crate) fn metrics_text(state: &AppState) -> impl IntoResponse + use<> {
    let text = state.metrics.render(
        &state.serving.memory().pool,
        state.hub.downloads().activity(),
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}
