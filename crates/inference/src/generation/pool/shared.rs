//! The pool's state behind one mutex, and the transitions that keep its rules: admission,
//! eviction, keep-alive timers, freeing models off the executor. The mutex is never held across
//! an await; waiters re-check the state whenever `changes` ticks.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Instant, SystemTime};

use tokio::sync::{broadcast, watch};

use super::admission::{HoldReason, Resident, plan_admission};
use super::entry::{Entry, Phase};
use super::loader::Loader;
use super::status::{PoolChange, PoolEvent};
use super::{KeepAlive, LoadSpec, PoolLimits};
use crate::InferenceError;
use crate::generation::LoadProgress;

pub(super) struct State<M> {
    pub limits: PoolLimits,
    pub entries: std::collections::HashMap<String, Entry<M>>,
    pub next_id: u64,
    pub sequence: u64,
    /// Models being freed on blocking threads; loads wait until none are.
    pub drops_in_flight: usize,
    /// Shutting down: no new requests or loads.
    pub closed: bool,
}

pub(super) struct Shared<L: Loader> {
    pub loader: L,
    pub state: Mutex<State<L::Model>>,
    /// Ticks on every change; waiters subscribe before they look, so they never miss one.
    pub changes: watch::Sender<u64>,
    pub events: broadcast::Sender<PoolEvent>,
    pub runtime: tokio::runtime::Handle,
    /// One load at a time: MLX's memory measurement of a load needs it alone.
    pub load_gate: tokio::sync::Mutex<()>,
}

impl<L: Loader> Shared<L> {
    pub fn lock(&self) -> MutexGuard<'_, State<L::Model>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn emit(&self, st: &mut State<L::Model>, change: PoolChange) {
        st.sequence += 1;
        let _ = self.events.send(PoolEvent {
            sequence: st.sequence,
            change,
        });
        self.changes
            .send_modify(|tick| *tick = tick.wrapping_add(1));
    }

    pub fn emit_model(&self, st: &mut State<L::Model>, key: &str) {
        if let Some(entry) = st.entries.get(key) {
            let status = entry.status(key);
            self.emit(st, PoolChange::Model(status));
        }
    }

    /// Admits `spec` (evicting idle models if it must) and starts loading it in the background.
    pub fn begin_load(
        self: &Arc<Self>,
        st: &mut State<L::Model>,
        spec: &LoadSpec,
    ) -> Result<u64, InferenceError> {
        self.release_idle_caches(st, spec);
        let residents: Vec<Resident> = st
            .entries
            .iter()
            .filter(|(key, entry)| *key != &spec.key && entry.holds_memory())
            .map(|(key, entry)| Resident {
                id: key.clone(),
                bytes: entry.held_bytes(),
                last_used: entry.last_used,
                hold: match entry.phase {
                    Phase::Loading { .. } => Some(HoldReason::Loading),
                    Phase::Unloading { .. } => Some(HoldReason::Busy),
                    _ if entry.pinned => Some(HoldReason::Pinned),
                    _ if !entry.idle() => Some(HoldReason::Busy),
                    _ => None,
                },
            })
            .collect();
        let victims = plan_admission(
            &spec.key,
            spec.need_bytes,
            st.limits.memory_limit_bytes,
            st.limits.max_loaded_models,
            &residents,
        )?;
        for victim in victims {
            self.begin_unload(st, &victim, false);
        }
        st.next_id += 1;
        let id = st.next_id;
        st.entries.insert(
            spec.key.clone(),
            Entry::loading(id, spec, st.limits.max_batch_size),
        );
        self.emit_model(st, &spec.key);
        let shared = self.clone();
        let (key, dir) = (spec.key.clone(), spec.dir.clone());
        self.runtime
            .spawn(async move { shared.run_load(key, id, dir).await });
        Ok(id)
    }

    /// When `spec` would not fit, idle models first give up their caches (cheap to rebuild),
    /// before any model is evicted.
    fn release_idle_caches(&self, st: &mut State<L::Model>, spec: &LoadSpec) {
        let holding = st
            .entries
            .iter()
            .filter(|(key, e)| *key != &spec.key && e.holds_memory());
        let used: u64 = holding.map(|(_, e)| e.held_bytes()).sum();
        if used + spec.need_bytes <= st.limits.memory_limit_bytes {
            return;
        }
        for entry in st.entries.values().filter(|e| e.idle()) {
            if let Phase::Ready { model } = &entry.phase {
                self.loader.release_cache(model);
            }
        }
    }

    async fn run_load(self: Arc<Self>, key: String, id: u64, dir: PathBuf) {
        self.wait_for_drops().await;
        let gate = self.load_gate.lock().await;
        let mut retried = false;
        let result = loop {
            let outcome = self.load_once(&key, id, &dir).await;
            match outcome {
                // An allocation failure: free every idle model and try once more.
                Err(error) if error.is_out_of_memory() && !retried => {
                    retried = true;
                    {
                        let mut st = self.lock();
                        self.evict_idle(&mut st, Some(&key), |_, _| true);
                    }
                    self.wait_for_drops().await;
                }
                other => break other,
            }
        };
        drop(gate);
        let mut st = self.lock();
        let closed = st.closed;
        let Some(entry) = st.entries.get_mut(&key).filter(|e| e.id == id) else {
            return;
        };
        match result {
            Ok(loaded) => {
                // Its cache may use the part of its admitted need the load did not take.
                let room = entry.need_bytes.saturating_sub(loaded.memory_bytes);
                entry.cache_bytes = self.loader.cache_within(&loaded.model, room);
                entry.running_bytes = self.loader.running_bytes(&loaded.model);
                self.loader.batch_within(&loaded.model, entry.batch_size);
                entry.phase = Phase::Ready {
                    model: Arc::new(loaded.model),
                };
                entry.memory_bytes = loaded.memory_bytes + loaded.host_bytes;
                entry.loaded_at = Some(SystemTime::now());
                entry.last_used = Instant::now();
                // What MLX measured may exceed the estimate: bring the others back under the limit.
                let limits = st.limits;
                self.evict_idle(&mut st, Some(&key), |used, count| {
                    used > limits.memory_limit_bytes || count > limits.max_loaded_models
                });
                if closed {
                    self.begin_unload(&mut st, &key, true);
                } else {
                    self.settle(&mut st, &key);
                }
            }
            Err(error) => {
                entry.phase = Phase::Failed { error };
                self.emit_model(&mut st, &key);
            }
        }
    }

    async fn load_once(
        self: &Arc<Self>,
        key: &str,
        id: u64,
        dir: &std::path::Path,
    ) -> Result<super::Loaded<L::Model>, InferenceError> {
        let weak: Weak<Self> = Arc::downgrade(self);
        let progress_key = key.to_string();
        let progress = Box::new(move |progress: LoadProgress| {
            let Some(shared) = weak.upgrade() else { return };
            let mut st = shared.lock();
            if let Some(entry) = st.entries.get_mut(&progress_key).filter(|e| e.id == id)
                && let Phase::Loading { .. } = entry.phase
            {
                entry.phase = Phase::Loading { progress };
                shared.emit_model(&mut st, &progress_key);
            }
        });
        let shared = self.clone();
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || shared.loader.load(&dir, progress))
            .await
            .unwrap_or_else(|e| {
                Err(InferenceError::Mlx(format!(
                    "the model loader stopped: {e}"
                )))
            })
    }

    async fn wait_for_drops(&self) {
        loop {
            let mut changes = self.changes.subscribe();
            if self.lock().drops_in_flight == 0 {
                return;
            }
            let _ = changes.changed().await;
        }
    }

    /// Marks a ready model as leaving; it is freed once its requests end (at once when forced,
    /// which cancels them).
    pub fn begin_unload(self: &Arc<Self>, st: &mut State<L::Model>, key: &str, forced: bool) {
        let Some(entry) = st.entries.get_mut(key) else {
            return;
        };
        let phase = std::mem::replace(
            &mut entry.phase,
            Phase::Unloading {
                model: None,
                forced,
            },
        );
        entry.phase = match phase {
            Phase::Ready { model } => Phase::Unloading {
                model: Some(model),
                forced,
            },
            Phase::Unloading { model, forced: was } => Phase::Unloading {
                model,
                forced: was || forced,
            },
            other => {
                entry.phase = other;
                return;
            }
        };
        entry.pinned = false;
        entry.keep_alive_expires_at = None;
        if forced {
            entry.cancel.send_replace(true);
        }
        self.settle(st, key);
    }

    /// Called whenever a model's requests may have ended or its state changed: frees a leaving
    /// model once idle, and arms the keep-alive of an idle ready one. Reports the model.
    pub fn settle(self: &Arc<Self>, st: &mut State<L::Model>, key: &str) {
        let default_keep_alive = st.limits.default_keep_alive;
        let Some(entry) = st.entries.get_mut(key) else {
            return;
        };
        if entry.idle() {
            match entry.phase {
                Phase::Unloading { .. } => return self.free(st, key),
                Phase::Ready { .. } if !entry.pinned => {
                    match entry.keep_alive.unwrap_or(default_keep_alive) {
                        KeepAlive::Forever => {}
                        KeepAlive::For(duration) if duration.is_zero() => {
                            return self.begin_unload(st, key, false);
                        }
                        KeepAlive::For(duration) => {
                            entry.idle_epoch += 1;
                            entry.keep_alive_expires_at = Some(SystemTime::now() + duration);
                            self.arm_keep_alive(key, entry.id, entry.idle_epoch, duration);
                        }
                    }
                }
                _ => {}
            }
        }
        self.emit_model(st, key);
    }

    fn arm_keep_alive(
        self: &Arc<Self>,
        key: &str,
        id: u64,
        epoch: u64,
        duration: std::time::Duration,
    ) {
        let weak = Arc::downgrade(self);
        let key = key.to_string();
        self.runtime.spawn(async move {
            tokio::time::sleep(duration).await;
            let Some(shared) = weak.upgrade() else { return };
            let mut st = shared.lock();
            let expired = st.entries.get(&key).is_some_and(|e| {
                e.id == id
                    && e.idle_epoch == epoch
                    && e.idle()
                    && !e.pinned
                    && matches!(e.phase, Phase::Ready { .. })
            });
            if expired {
                shared.begin_unload(&mut st, &key, false);
            }
        });
    }

    /// Frees a leaving, idle model on a blocking thread (dropping a worker joins its thread),
    /// then removes it.
    fn free(self: &Arc<Self>, st: &mut State<L::Model>, key: &str) {
        let Some(entry) = st.entries.get_mut(key) else {
            return;
        };
        let Phase::Unloading { model, .. } = &mut entry.phase else {
            return;
        };
        let Some(model) = model.take() else {
            return;
        };
        let id = entry.id;
        st.drops_in_flight += 1;
        self.emit_model(st, key);
        let shared = self.clone();
        let key = key.to_string();
        self.runtime.spawn(async move {
            let _ = tokio::task::spawn_blocking(move || drop(model)).await;
            let mut st = shared.lock();
            st.drops_in_flight -= 1;
            if st.entries.get(&key).is_some_and(|e| e.id == id) {
                st.entries.remove(&key);
                shared.emit(&mut st, PoolChange::Removed { key });
            } else {
                shared
                    .changes
                    .send_modify(|tick| *tick = tick.wrapping_add(1));
            }
        });
    }

    /// Evicts idle, unpinned ready models (least recently used first, never `spare`) while
    /// `over(used_bytes, loaded_models)` holds.
    pub fn evict_idle(
        self: &Arc<Self>,
        st: &mut State<L::Model>,
        spare: Option<&str>,
        over: impl Fn(u64, usize) -> bool,
    ) {
        loop {
            let holding = st.entries.values().filter(|e| e.holds_memory());
            let (used, count) = holding.fold((0, 0), |(u, c), e| (u + e.held_bytes(), c + 1));
            if !over(used, count) {
                return;
            }
            let victim = st
                .entries
                .iter()
                .filter(|(key, e)| {
                    Some(key.as_str()) != spare
                        && e.idle()
                        && !e.pinned
                        && matches!(e.phase, Phase::Ready { .. })
                })
                .min_by_key(|(_, e)| e.last_used)
                .map(|(key, _)| key.clone());
            let Some(victim) = victim else { return };
            self.begin_unload(st, &victim, false);
        }
    }
}
