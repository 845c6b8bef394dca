//! What the pool tells about itself: each model's state and counters, the totals, and the
//! events that report every change.

use std::path::PathBuf;
use std::time::SystemTime;

use super::{KeepAlive, PoolLimits};
use crate::InferenceError;
use crate::generation::LoadProgress;

/// A model's place in its lifecycle.
#[derive(Debug, Clone)]
pub enum ModelState {
    /// Reading weights (bytes read / total).
    Loading {
        progress: LoadProgress,
    },
    Ready,
    /// Leaving: waiting for running requests (or cancelling them, when forced), then freeing.
    Unloading,
    /// The last load failed; the model holds no memory. A new start tries again.
    Failed {
        error: InferenceError,
    },
}

impl ModelState {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Loading { .. } => "loading",
            Self::Ready => "ready",
            Self::Unloading => "unloading",
            Self::Failed { .. } => "failed",
        }
    }
}

/// One model of the pool, as a snapshot.
#[derive(Debug, Clone)]
pub struct ModelStatus {
    /// The caller's name for the model (serving uses the repository id or the directory).
    pub key: String,
    pub dir: PathBuf,
    pub state: ModelState,
    /// Memory it holds: the estimate while loading, what MLX measured once loaded, 0 when failed.
    pub memory_bytes: u64,
    /// The estimate admission used.
    pub need_bytes: u64,
    pub loaded_at: Option<SystemTime>,
    pub last_used_at: Option<SystemTime>,
    pub pinned: bool,
    /// Its own keep-alive (`None`: the pool's default applies).
    pub keep_alive: Option<KeepAlive>,
    /// When it unloads if nothing uses it before (idle, unpinned, finite keep-alive).
    pub keep_alive_expires_at: Option<SystemTime>,
    pub running: usize,
    /// Requests waiting for it: for its load or for their turn.
    pub queued: usize,
    pub requests_served: u64,
    pub tokens_generated: u64,
    /// The decode speed of its last request.
    pub decode_tokens_per_sec: Option<f64>,
}

/// The whole pool, as a snapshot.
#[derive(Debug, Clone)]
pub struct PoolSnapshot {
    pub limits: PoolLimits,
    /// Memory held by models (loading ones by their estimate).
    pub used_bytes: u64,
    pub models: Vec<ModelStatus>,
}

/// What changed.
#[derive(Debug, Clone)]
pub enum PoolChange {
    /// A model appeared or changed (state, progress, counters).
    Model(ModelStatus),
    /// A model left the pool (unloaded, or a failed entry cleared).
    Removed {
        key: String,
    },
    Limits(PoolLimits),
}

/// A change, numbered: numbers grow by one per change, so a watcher sees order and gaps.
#[derive(Debug, Clone)]
pub struct PoolEvent {
    pub sequence: u64,
    pub change: PoolChange,
}
