//! Taking a turn on a model: waiting for it to be ready (loading it if needed) and for a free
//! place in its batch, within the queue's bound and time limit.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::LoadSpec;
use super::entry::{Found, Phase, found};
use super::lease::Lease;
use super::loader::Loader;
use super::model_pool::ModelPool;
use super::turns::{QueueGuard, Returns};
use crate::InferenceError;

impl<L: Loader> ModelPool<L> {
    /// Waits until the model is ready (loading it if needed) and takes a turn on it: the
    /// returned lease keeps it busy until dropped. Refused at once when its queue is full, after
    /// the queue timeout when the turn does not come, and when a forced stop ends the wait.
    pub async fn acquire(&self, spec: LoadSpec) -> Result<Lease<L::Model>, InferenceError> {
        let shared = &self.shared;
        let mut guard = QueueGuard {
            shared: shared.clone(),
            key: spec.key.clone(),
            id: None,
        };
        let (slots, cancel, model, id, queue_timeout) = loop {
            let mut changes = shared.changes.subscribe();
            {
                let mut st = shared.lock();
                if st.closed {
                    return Err(InferenceError::PoolClosed);
                }
                let max_queued = st.limits.max_queued_requests;
                let (what, entry_id) = found(&st, &spec.key);
                let counted = guard.id.is_some() && guard.id == entry_id;
                match what {
                    Found::Ready | Found::Loading => {
                        let entry = st.entries.get_mut(&spec.key).expect("found");
                        if !counted {
                            let no_free_turn = entry.slots.available_permits() == 0
                                || matches!(entry.phase, Phase::Loading { .. });
                            if entry.queued >= max_queued && no_free_turn {
                                return Err(InferenceError::Overloaded {
                                    model: spec.key.clone(),
                                    queued: entry.queued,
                                });
                            }
                            entry.queued += 1;
                            guard.id = Some(entry.id);
                        }
                        entry.apply(&spec);
                        entry.idle_epoch += 1;
                        entry.keep_alive_expires_at = None;
                        if let Phase::Ready { model } = &entry.phase {
                            let taken = (
                                entry.slots.clone(),
                                entry.cancel.subscribe(),
                                model.clone(),
                                entry.id,
                                st.limits.queue_timeout,
                            );
                            shared.emit_model(&mut st, &spec.key);
                            break taken;
                        }
                        // Only when this request joined the queue: every event wakes every
                        // waiter, this one included, so announcing itself on each pass would
                        // spin until the load ends and flood the watchers.
                        if !counted {
                            shared.emit_model(&mut st, &spec.key);
                        }
                    }
                    Found::Unloading { forced } if counted => {
                        if forced {
                            return Err(InferenceError::Stopped {
                                model: spec.key.clone(),
                            });
                        }
                        // A stop that waits for queued requests: ours still runs.
                        let entry = st.entries.get_mut(&spec.key).expect("found");
                        if let Phase::Unloading {
                            model: Some(model), ..
                        } = &entry.phase
                        {
                            break (
                                entry.slots.clone(),
                                entry.cancel.subscribe(),
                                model.clone(),
                                entry.id,
                                st.limits.queue_timeout,
                            );
                        }
                    }
                    // Models leaving: wait until they are gone, then load again.
                    Found::Unloading { .. } => {}
                    Found::Failed if counted => {
                        let entry = st.entries.get_mut(&spec.key).expect("found");
                        entry.queued -= 1;
                        guard.id = None;
                        let Phase::Failed { error } = &entry.phase else {
                            unreachable!("found a failed entry")
                        };
                        return Err(error.clone());
                    }
                    // The load we waited for was stopped before it finished.
                    Found::Absent if guard.id.is_some() => {
                        guard.id = None;
                        return Err(InferenceError::Stopped {
                            model: spec.key.clone(),
                        });
                    }
                    Found::Failed | Found::Absent => {
                        let id = shared.begin_load(&mut st, &spec)?;
                        let entry = st.entries.get_mut(&spec.key).expect("just inserted");
                        entry.queued += 1;
                        guard.id = Some(id);
                        shared.emit_model(&mut st, &spec.key);
                    }
                }
            }
            let _ = changes.changed().await;
        };
        let mut cancel_wait = cancel.clone();
        let permit = tokio::select! {
            permit = slots.acquire_owned() => permit.map_err(|_| InferenceError::Stopped {
                model: spec.key.clone(),
            })?,
            _ = tokio::time::sleep(queue_timeout) => {
                return Err(InferenceError::QueueTimeout {
                    model: spec.key.clone(),
                    waited_secs: queue_timeout.as_secs_f64(),
                });
            }
            _ = cancel_wait.wait_for(|cancelled| *cancelled) => {
                return Err(InferenceError::Stopped { model: spec.key.clone() });
            }
        };
        let mut st = shared.lock();
        let stopped = || InferenceError::Stopped {
            model: spec.key.clone(),
        };
        let entry = st
            .entries
            .get_mut(&spec.key)
            .filter(|e| e.id == id)
            .ok_or_else(stopped)?;
        if matches!(entry.phase, Phase::Unloading { forced: true, .. }) {
            return Err(stopped());
        }
        entry.queued -= 1;
        guard.id = None;
        entry.running += 1;
        entry.last_used = Instant::now();
        entry.last_used_at = Some(SystemTime::now());
        shared.emit_model(&mut st, &spec.key);
        drop(st);
        Ok(Lease {
            model: Some(model),
            permit: Some(permit),
            cancel,
            sink: Arc::new(Returns(shared.clone())),
            key: spec.key.clone(),
            id,
            tokens: 0,
            decode_tokens_per_sec: None,
        })
    }
}
