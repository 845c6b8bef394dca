//! Response bodies of the server routes.

use std::time::SystemTime;

use mlx_manager_inference::generation::pool::{ModelState, ModelStatus};
use mlx_manager_serving::{Health, MemoryReport, Server};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a server is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// Not in the pool.
    Stopped,
    Loading,
    Ready,
    Unloading,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoadProgressResponse {
    pub bytes_loaded: u64,
    pub bytes_total: u64,
}

/// A profile whose model is in the pool (loading, ready, unloading or failed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerResponse {
    /// Null for a model loaded by its repository id rather than through a profile.
    pub profile_id: Option<i32>,
    pub profile_name: Option<String>,
    /// The model (repository id, with `@revision` when the profile pins one).
    pub model: String,
    pub state: ServerState,
    /// While loading: weight bytes read and in all.
    pub progress: Option<LoadProgressResponse>,
    /// Why the last load failed.
    pub error: Option<String>,
    /// What it holds: the estimate while loading, what MLX measured once loaded.
    pub memory_bytes: u64,
    /// What admission planned for (weights + KV cache for the context + overhead).
    pub estimated_bytes: u64,
    /// RFC 3339.
    pub loaded_at: Option<String>,
    pub last_used_at: Option<String>,
    pub uptime_secs: Option<u64>,
    pub running: usize,
    pub queued: usize,
    pub pinned: bool,
    /// When it unloads if unused until then (null: pinned, busy, or kept forever).
    pub keep_alive_expires_at: Option<String>,
    pub requests_served: u64,
    pub tokens_generated: u64,
    /// Decode speed of its last request.
    pub decode_tokens_per_sec: Option<f64>,
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

pub fn state_of(model: Option<&ModelStatus>) -> ServerState {
    match model.map(|m| &m.state) {
        None => ServerState::Stopped,
        Some(ModelState::Loading { .. }) => ServerState::Loading,
        Some(ModelState::Ready) => ServerState::Ready,
        Some(ModelState::Unloading) => ServerState::Unloading,
        Some(ModelState::Failed { .. }) => ServerState::Failed,
    }
}

fn progress_of(model: &ModelStatus) -> Option<LoadProgressResponse> {
    match model.state {
        ModelState::Loading { progress } => Some(LoadProgressResponse {
            bytes_loaded: progress.bytes_loaded,
            bytes_total: progress.bytes_total,
        }),
        _ => None,
    }
}

fn error_of(model: &ModelStatus) -> Option<String> {
    match &model.state {
        ModelState::Failed { error } => Some(error.to_string()),
        _ => None,
    }
}

impl ServerResponse {
    pub fn new(profile: Option<(i32, String)>, model: ModelStatus) -> Self {
        let uptime_secs = model
            .loaded_at
            .and_then(|at| at.elapsed().ok())
            .map(|d| d.as_secs());
        let (profile_id, profile_name) = profile.unzip();
        Self {
            profile_id,
            profile_name,
            state: state_of(Some(&model)),
            progress: progress_of(&model),
            error: error_of(&model),
            memory_bytes: model.memory_bytes,
            estimated_bytes: model.need_bytes,
            loaded_at: model.loaded_at.map(rfc3339),
            last_used_at: model.last_used_at.map(rfc3339),
            uptime_secs,
            running: model.running,
            queued: model.queued,
            pinned: model.pinned,
            keep_alive_expires_at: model.keep_alive_expires_at.map(rfc3339),
            requests_served: model.requests_served,
            tokens_generated: model.tokens_generated,
            decode_tokens_per_sec: model.decode_tokens_per_sec,
            model: model.key,
        }
    }
}

impl From<Server> for ServerResponse {
    fn from(server: Server) -> Self {
        Self::new(server.profile.map(|p| (p.id, p.name)), server.model)
    }
}

/// A server's state, for polling a start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerStatusResponse {
    pub state: ServerState,
    pub progress: Option<LoadProgressResponse>,
    pub error: Option<String>,
    /// The whole server while it is in the pool.
    pub server: Option<ServerResponse>,
}

impl ServerStatusResponse {
    pub fn new(profile: (i32, String), model: Option<ModelStatus>) -> Self {
        Self {
            state: state_of(model.as_ref()),
            progress: model.as_ref().and_then(progress_of),
            error: model.as_ref().and_then(error_of),
            server: model.map(|m| ServerResponse::new(Some(profile), m)),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// Always `ok`: a failure is an error response.
    pub status: String,
    /// Wall time of a one-token generation, its wait for a turn included.
    pub response_time_ms: f64,
    pub tokens_generated: usize,
}

impl From<Health> for HealthResponse {
    fn from(health: Health) -> Self {
        Self {
            status: "ok".into(),
            response_time_ms: (health.response_time_ms * 100.0).round() / 100.0,
            tokens_generated: health.tokens,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelMemoryResponse {
    pub model: String,
    pub state: ServerState,
    pub memory_bytes: u64,
}

/// The pool's memory against its limit and the machine's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemoryResponse {
    pub limit_bytes: u64,
    /// Held by models (loading ones by their estimate).
    pub used_bytes: u64,
    /// Left under the limit.
    pub available_bytes: u64,
    pub system_total_bytes: u64,
    pub system_available_bytes: u64,
    pub max_loaded_models: usize,
    pub models: Vec<ModelMemoryResponse>,
}

impl From<MemoryReport> for MemoryResponse {
    fn from(report: MemoryReport) -> Self {
        let pool = report.pool;
        Self {
            limit_bytes: pool.limits.memory_limit_bytes,
            used_bytes: pool.used_bytes,
            available_bytes: pool
                .limits
                .memory_limit_bytes
                .saturating_sub(pool.used_bytes),
            system_total_bytes: report.system.total_bytes,
            system_available_bytes: report.system.available_bytes,
            max_loaded_models: pool.limits.max_loaded_models,
            models: pool
                .models
                .into_iter()
                .map(|m| ModelMemoryResponse {
                    state: state_of(Some(&m)),
                    memory_bytes: m.memory_bytes,
                    model: m.key,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StopParams {
    /// Cancel running and queued requests instead of waiting for them.
    #[serde(default)]
    pub force: bool,
}

/// What a start found or began.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartResponse {
    /// `loading` (202) or `ready` (200, it was loaded already).
    pub state: ServerState,
    pub server: ServerResponse,
}

/// One event of `GET /api/servers/events`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First: every server now.
    Snapshot { servers: Vec<ServerResponse> },
    /// A model in the pool changed (state, progress, counters): one entry per profile using it.
    Changed {
        model: String,
        servers: Vec<ServerResponse>,
    },
    /// A model left the pool.
    Removed { model: String },
    /// The pool's limits changed.
    Limits {
        memory_limit_bytes: u64,
        max_loaded_models: usize,
    },
}
