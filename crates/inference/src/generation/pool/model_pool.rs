//! [`ModelPool`]: several models resident within a memory budget and a model count, loaded on
//! demand with one load per model however many ask, serving up to `max_batch_size` requests
//! at a time per model (the rest wait in a bounded queue; taking a turn is `acquire.rs`),
//! unloaded when idle past their keep-alive, evicted least recently used when another needs the
//! room — never when pinned or busy.

use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};

use super::entry::{Found, Phase, found};
use super::loader::Loader;
use super::shared::{Shared, State};
use super::status::{ModelStatus, PoolChange, PoolEvent, PoolSnapshot};
use super::{LoadSpec, PoolLimits};
use crate::InferenceError;

/// What `start` found or began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    AlreadyReady,
    Loading,
}

pub struct ModelPool<L: Loader> {
    pub(super) shared: Arc<Shared<L>>,
}

impl<L: Loader> Clone for ModelPool<L> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<L: Loader> ModelPool<L> {
    /// A pool with nothing loaded. Call it inside a Tokio runtime: timers and loads run on it.
    pub fn new(loader: L, limits: PoolLimits) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            shared: Arc::new(Shared {
                loader,
                state: Mutex::new(State {
                    limits,
                    entries: Default::default(),
                    next_id: 0,
                    sequence: 0,
                    drops_in_flight: 0,
                    closed: false,
                }),
                changes: watch::Sender::new(0),
                events,
                runtime: tokio::runtime::Handle::current(),
                load_gate: tokio::sync::Mutex::new(()),
            }),
        }
    }

    pub fn loader(&self) -> &L {
        &self.shared.loader
    }

    pub fn limits(&self) -> PoolLimits {
        self.shared.lock().limits
    }

    /// Applies new limits at once: idle models are evicted (least recently used first) until
    /// the loaded ones fit.
    pub fn set_limits(&self, limits: PoolLimits) {
        let shared = &self.shared;
        let mut st = shared.lock();
        st.limits = limits;
        for entry in st.entries.values_mut() {
            entry.resize_batch(limits.max_batch_size);
            if let Phase::Ready { model } = &entry.phase {
                shared.loader.batch_within(model, limits.max_batch_size);
            }
        }
        shared.emit(&mut st, PoolChange::Limits(limits));
        shared.evict_idle(&mut st, None, |used, count| {
            used > limits.memory_limit_bytes || count > limits.max_loaded_models
        });
    }

    /// Every change from now on, numbered. A watcher that falls more than 1024 behind gets
    /// `Lagged` and should take a fresh [`ModelPool::snapshot`].
    pub fn subscribe(&self) -> broadcast::Receiver<PoolEvent> {
        self.shared.events.subscribe()
    }

    /// The pool now, and the number of the last change it includes.
    pub fn snapshot_with_sequence(&self) -> (PoolSnapshot, u64) {
        let st = self.shared.lock();
        let mut models: Vec<ModelStatus> = st
            .entries
            .iter()
            .map(|(key, entry)| entry.status(key))
            .collect();
        models.sort_by(|a, b| a.key.cmp(&b.key));
        let used_bytes = models.iter().map(|m| m.memory_bytes).sum();
        let snapshot = PoolSnapshot {
            limits: st.limits,
            used_bytes,
            models,
        };
        (snapshot, st.sequence)
    }

    pub fn snapshot(&self) -> PoolSnapshot {
        self.snapshot_with_sequence().0
    }

    pub fn status(&self, key: &str) -> Option<ModelStatus> {
        let st = self.shared.lock();
        st.entries.get(key).map(|entry| entry.status(key))
    }

    /// Starts loading the model unless it is loaded or loading (then only its pin and
    /// keep-alive are updated). Refused when it cannot fit beside models that cannot be evicted.
    pub async fn start(&self, spec: LoadSpec) -> Result<StartOutcome, InferenceError> {
        let shared = &self.shared;
        loop {
            let mut changes = shared.changes.subscribe();
            {
                let mut st = shared.lock();
                if st.closed {
                    return Err(InferenceError::PoolClosed);
                }
                match found(&st, &spec.key).0 {
                    Found::Ready | Found::Loading => {
                        let entry = st.entries.get_mut(&spec.key).expect("found");
                        entry.apply(&spec);
                        let ready = matches!(entry.phase, Phase::Ready { .. });
                        // A new pin or keep-alive changes what an idle model does next.
                        shared.settle(&mut st, &spec.key);
                        return Ok(if ready {
                            StartOutcome::AlreadyReady
                        } else {
                            StartOutcome::Loading
                        });
                    }
                    Found::Unloading { .. } => {}
                    Found::Failed | Found::Absent => {
                        shared.begin_load(&mut st, &spec)?;
                        return Ok(StartOutcome::Loading);
                    }
                }
            }
            let _ = changes.changed().await;
        }
    }

    /// Unloads the model and returns once it is freed: after its running and queued requests
    /// end, or at once when `force` cancels them. A model still loading finishes loading first;
    /// a failed one is cleared.
    pub async fn stop(&self, key: &str, force: bool) -> Result<(), InferenceError> {
        let shared = &self.shared;
        let mut began = false;
        loop {
            let mut changes = shared.changes.subscribe();
            {
                let mut st = shared.lock();
                match found(&st, key).0 {
                    Found::Absent if began => return Ok(()),
                    Found::Absent => {
                        return Err(InferenceError::NotLoaded {
                            model: key.to_string(),
                        });
                    }
                    Found::Failed => {
                        st.entries.remove(key);
                        shared.emit(
                            &mut st,
                            PoolChange::Removed {
                                key: key.to_string(),
                            },
                        );
                        return Ok(());
                    }
                    Found::Loading => {}
                    Found::Ready => {
                        began = true;
                        shared.begin_unload(&mut st, key, force);
                    }
                    Found::Unloading { forced } => {
                        began = true;
                        if force && !forced {
                            shared.begin_unload(&mut st, key, true);
                        }
                    }
                }
            }
            let _ = changes.changed().await;
        }
    }

    /// Really unloads the model and loads it again with the same settings (a new `loaded_at`).
    pub async fn restart(&self, key: &str) -> Result<StartOutcome, InferenceError> {
        let spec = {
            let st = self.shared.lock();
            let entry = st
                .entries
                .get(key)
                .ok_or_else(|| InferenceError::NotLoaded {
                    model: key.to_string(),
                })?;
            LoadSpec {
                key: key.to_string(),
                dir: entry.dir.clone(),
                need_bytes: entry.need_bytes,
                pin: entry.pinned,
                keep_alive: entry.keep_alive,
            }
        };
        self.stop(key, false).await?;
        self.start(spec).await
    }

    /// Refuses new work, cancels running requests and frees every model; returns once all are
    /// freed (the caller bounds the wait).
    pub async fn shutdown(&self) {
        let shared = &self.shared;
        loop {
            let mut changes = shared.changes.subscribe();
            {
                let mut st = shared.lock();
                st.closed = true;
                let keys: Vec<String> = st.entries.keys().cloned().collect();
                for key in keys {
                    match found(&st, &key).0 {
                        Found::Ready | Found::Unloading { forced: false } => {
                            shared.begin_unload(&mut st, &key, true)
                        }
                        Found::Failed => {
                            st.entries.remove(&key);
                            shared.emit(&mut st, PoolChange::Removed { key });
                        }
                        // Loads finish, then unload (the pool is closed).
                        _ => {}
                    }
                }
                if st.entries.is_empty() && st.drops_in_flight == 0 {
                    return;
                }
            }
            let _ = changes.changed().await;
        }
    }
}
