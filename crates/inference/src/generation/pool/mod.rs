//! The model pool's building blocks (no HTTP; it knows model directories, not profiles).
//!
//! So far: the admission plan ([`plan_admission`]) that decides which idle models to evict so a
//! new one fits the memory budget and the model count, the pool's limits and Ollama's keep-alive
//! semantics. The pool itself (leases, single-flight loads, queues, events) builds on these.

mod admission;

pub use admission::{HeldMemory, HoldReason, Resident, plan_admission};

use std::time::Duration;

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
    pub queue_timeout: Duration,
    pub default_keep_alive: KeepAlive,
}

impl PoolLimits {
    /// The defaults (4 models, 32 queued requests, 60 s queue timeout, 5 min keep-alive) for a
    /// memory budget the caller computed (core's `MemoryBudget`).
    pub fn new(memory_limit_bytes: u64) -> Self {
        Self {
            memory_limit_bytes,
            max_loaded_models: 4,
            max_queued_requests: 32,
            queue_timeout: Duration::from_secs(60),
            default_keep_alive: KeepAlive::For(Duration::from_secs(300)),
        }
    }
}

#[cfg(test)]
mod tests;
