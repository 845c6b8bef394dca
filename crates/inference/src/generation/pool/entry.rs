//! One model's record inside the pool (private to the pool; [`ModelStatus`] is its public face).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::shared::State;
use super::status::{ModelState, ModelStatus};
use super::{KeepAlive, LoadSpec};
use crate::InferenceError;
use crate::generation::LoadProgress;

pub(super) enum Phase<M> {
    Loading {
        progress: LoadProgress,
    },
    Ready {
        model: Arc<M>,
    },
    /// `model` is `Some` while requests still run on it and `None` once it is being freed.
    Unloading {
        model: Option<Arc<M>>,
        forced: bool,
    },
    Failed {
        error: InferenceError,
    },
}

pub(super) struct Entry<M> {
    /// Unique per load: waiters and timers of an earlier load of the same key ignore this one.
    pub id: u64,
    pub dir: PathBuf,
    pub need_bytes: u64,
    pub phase: Phase<M>,
    /// The estimate while loading; what the load measured once ready.
    pub memory_bytes: u64,
    /// What the model holds beyond that once ready (its prompt cache), counted live.
    pub cache_bytes: Option<Arc<AtomicU64>>,
    /// What its running requests' keys and values hold, counted live.
    pub running_bytes: Option<Arc<AtomicU64>>,
    pub pinned: bool,
    pub keep_alive: Option<KeepAlive>,
    pub loaded_at: Option<SystemTime>,
    /// For least-recently-used eviction: the end of the last request, or the load.
    pub last_used: Instant,
    pub last_used_at: Option<SystemTime>,
    pub running: usize,
    pub queued: usize,
    pub requests_served: u64,
    pub tokens_generated: u64,
    pub decode_tokens_per_sec: Option<f64>,
    /// Bumped whenever the model is used, which disarms a pending keep-alive timer.
    pub idle_epoch: u64,
    pub keep_alive_expires_at: Option<SystemTime>,
    /// Turns to run on the model: as many as its batch holds.
    pub slots: Arc<Semaphore>,
    /// The permits `slots` was made with or last resized to.
    pub batch_size: usize,
    /// Turns running requests hold beyond a batch size made smaller: kept out as they end.
    pub owed_turns: usize,
    /// Set by a forced stop: running requests and waiting ones end.
    pub cancel: watch::Sender<bool>,
}

impl<M> Entry<M> {
    pub fn loading(id: u64, spec: &LoadSpec, batch_size: usize) -> Self {
        Self {
            id,
            dir: spec.dir.clone(),
            need_bytes: spec.need_bytes,
            phase: Phase::Loading {
                progress: LoadProgress::default(),
            },
            memory_bytes: spec.need_bytes,
            cache_bytes: None,
            running_bytes: None,
            pinned: spec.pin,
            keep_alive: spec.keep_alive,
            loaded_at: None,
            last_used: Instant::now(),
            last_used_at: None,
            running: 0,
            queued: 0,
            requests_served: 0,
            tokens_generated: 0,
            decode_tokens_per_sec: None,
            idle_epoch: 0,
            keep_alive_expires_at: None,
            slots: Arc::new(Semaphore::new(batch_size)),
            batch_size,
            owed_turns: 0,
            cancel: watch::Sender::new(false),
        }
    }

    /// A request's or a start's wishes: a pin sticks; a keep-alive replaces the model's.
    pub fn apply(&mut self, spec: &LoadSpec) {
        self.pinned |= spec.pin;
        if let Some(keep_alive) = spec.keep_alive {
            self.keep_alive = Some(keep_alive);
        }
    }

    /// Memory it holds now: what the load took (or the estimate while loading), its cache and
    /// its running requests' keys and values.
    pub fn held_bytes(&self) -> u64 {
        let live = |counter: &Option<Arc<AtomicU64>>| {
            counter
                .as_ref()
                .map_or(0, |bytes| bytes.load(Ordering::Relaxed))
        };
        self.memory_bytes + live(&self.cache_bytes) + live(&self.running_bytes)
    }

    /// Runs `batch_size` requests at once from now on. Turns running requests hold beyond a
    /// smaller size are kept out as those requests end ([`Entry::take_back`]).
    pub fn resize_batch(&mut self, batch_size: usize) {
        let batch_size = batch_size.max(1);
        if batch_size > self.batch_size {
            let grown = batch_size - self.batch_size;
            let forgiven = grown.min(self.owed_turns);
            self.owed_turns -= forgiven;
            self.slots.add_permits(grown - forgiven);
        } else if batch_size < self.batch_size {
            let excess = self.batch_size - batch_size;
            self.owed_turns += excess - self.slots.forget_permits(excess);
        }
        self.batch_size = batch_size;
    }

    /// An ended request's turn: freed for the next, unless the batch shrank meanwhile.
    pub fn take_back(&mut self, turn: OwnedSemaphorePermit) {
        match self.owed_turns {
            0 => drop(turn),
            _ => {
                self.owed_turns -= 1;
                turn.forget();
            }
        }
    }

    pub fn idle(&self) -> bool {
        self.running == 0 && self.queued == 0
    }

    /// Whether it holds memory the admission plan must count (models being freed do not: a new
    /// load waits for them).
    pub fn holds_memory(&self) -> bool {
        match &self.phase {
            Phase::Loading { .. } | Phase::Ready { .. } => true,
            Phase::Unloading { model, .. } => model.is_some(),
            Phase::Failed { .. } => false,
        }
    }

    pub fn status(&self, key: &str) -> ModelStatus {
        let state = match &self.phase {
            Phase::Loading { progress } => ModelState::Loading {
                progress: *progress,
            },
            Phase::Ready { .. } => ModelState::Ready,
            Phase::Unloading { .. } => ModelState::Unloading,
            Phase::Failed { error } => ModelState::Failed {
                error: error.clone(),
            },
        };
        ModelStatus {
            key: key.to_string(),
            dir: self.dir.clone(),
            state,
            memory_bytes: match self.phase {
                Phase::Failed { .. } => 0,
                _ => self.held_bytes(),
            },
            need_bytes: self.need_bytes,
            loaded_at: self.loaded_at,
            last_used_at: self.last_used_at,
            pinned: self.pinned,
            keep_alive: self.keep_alive,
            keep_alive_expires_at: self.keep_alive_expires_at,
            running: self.running,
            queued: self.queued,
            requests_served: self.requests_served,
            tokens_generated: self.tokens_generated,
            decode_tokens_per_sec: self.decode_tokens_per_sec,
        }
    }
}

/// What a key names in the pool now.
pub(super) enum Found {
    Ready,
    Loading,
    Unloading { forced: bool },
    Failed,
    Absent,
}

pub(super) fn found<M>(st: &State<M>, key: &str) -> (Found, Option<u64>) {
    match st.entries.get(key) {
        None => (Found::Absent, None),
        Some(entry) => (
            match entry.phase {
                Phase::Ready { .. } => Found::Ready,
                Phase::Loading { .. } => Found::Loading,
                Phase::Unloading { forced, .. } => Found::Unloading { forced },
                Phase::Failed { .. } => Found::Failed,
            },
            Some(entry.id),
        ),
    }
}
