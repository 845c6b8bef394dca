//! The model pool (no HTTP; it knows model directories, not profiles): [`ModelPool`] keeps
//! several models loaded within a memory budget and a model count. Pieces, by idea:
//! - `admission`: which idle models to evict so a new one fits ([`plan_admission`]);
//! - `loader`: how a directory becomes a served model ([`WorkerLoader`], or a test's fake);
//! - `entry` and `shared`: one model's record, and the state and transitions behind one mutex;
//! - `model_pool`: the public operations (start, stop, restart, limits, shutdown), and
//!   `acquire`: taking a turn, one of the model's `max_batch_size`;
//! - `lease`: a request's hold on a model; `turns`: queue and return bookkeeping;
//!   `status`: snapshots and numbered change events.

mod acquire;
mod admission;
mod entry;
mod lease;
mod loader;
mod model_pool;
mod shared;
mod status;
mod turns;

pub use admission::{HeldMemory, HoldReason, Resident, plan_admission};
pub use lease::Lease;
pub use loader::{Loaded, Loader, WorkerLoader};
pub use model_pool::{ModelPool, StartOutcome};
pub use status::{ModelState, ModelStatus, PoolChange, PoolEvent, PoolSnapshot};

use std::path::PathBuf;
use std::time::Duration;

/// What to load and how it should live: the pool's name for it, its directory, the memory it
/// needs (estimated by the caller, e.g. from [`crate::ModelFootprint`]), whether to pin it, and
/// its own keep-alive (`None` keeps the model's, or the pool's default).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    pub key: String,
    pub dir: PathBuf,
    pub need_bytes: u64,
    pub pin: bool,
    pub keep_alive: Option<KeepAlive>,
}

/// How long a model stays loaded once idle, counted from the end of its last request
/// (Ollama's `keep_alive`): negative seconds = forever, 0 = unload right after the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    Forever,
    For(Duration),
}

impl KeepAlive {
    pub fn from_secs(secs: i64) -> Self {
        match u64::try_from(secs) {
            Ok(secs) => Self::For(Duration::from_secs(secs)),
            Err(_) => Self::Forever,
        }
    }
}

/// The pool's limits; all can be changed while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    pub memory_limit_bytes: u64,
    pub max_loaded_models: usize,
    pub max_queued_requests: usize,
    /// Requests one model runs together (continuous batching); more wait in its queue.
    pub max_batch_size: usize,
    pub queue_timeout: Duration,
    pub default_keep_alive: KeepAlive,
}

impl PoolLimits {
    /// The defaults (4 models, 32 queued requests, batches of 8, 60 s queue timeout, 5 min
    /// keep-alive) for a
    /// memory budget the caller computed (core's `MemoryBudget`).
    pub fn new(memory_limit_bytes: u64) -> Self {
        Self {
            memory_limit_bytes,
            max_loaded_models: 4,
            max_queued_requests: 32,
            max_batch_size: 8,
            queue_timeout: Duration::from_secs(60),
            default_keep_alive: KeepAlive::For(Duration::from_secs(300)),
        }
    }
}

#[cfg(test)]
mod admission_tests;
#[cfg(test)]
mod tests;
