//! A request's turn on a model, as the pool counts it: waiting in the queue (a guard that
//! un-counts however the wait ends) and returning a lease (its stats back into the counters).

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::OwnedSemaphorePermit;

use super::lease::LeaseSink;
use super::loader::Loader;
use super::shared::Shared;

/// Takes ended leases back into the pool's counters.
pub(super) struct Returns<L: Loader>(pub(super) Arc<Shared<L>>);

impl<L: Loader> LeaseSink for Returns<L> {
    fn returned(
        &self,
        key: &str,
        id: u64,
        turn: Option<OwnedSemaphorePermit>,
        tokens: u64,
        decode_tokens_per_sec: Option<f64>,
    ) {
        let shared = &self.0;
        let mut st = shared.lock();
        let Some(entry) = st.entries.get_mut(key).filter(|e| e.id == id) else {
            return;
        };
        if let Some(turn) = turn {
            entry.take_back(turn);
        }
        entry.running -= 1;
        entry.requests_served += 1;
        entry.tokens_generated += tokens;
        if decode_tokens_per_sec.is_some() {
            entry.decode_tokens_per_sec = decode_tokens_per_sec;
        }
        entry.last_used = Instant::now();
        entry.last_used_at = Some(SystemTime::now());
        shared.settle(&mut st, key);
    }
}

/// Counts a waiting request in its model's queue, and un-counts it however the wait ends
/// (a client that goes away included).
pub(super) struct QueueGuard<L: Loader> {
    pub(super) shared: Arc<Shared<L>>,
    pub(super) key: String,
    pub(super) id: Option<u64>,
}

impl<L: Loader> Drop for QueueGuard<L> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let mut st = self.shared.lock();
        if let Some(entry) = st.entries.get_mut(&self.key).filter(|e| e.id == id) {
            entry.queued -= 1;
            self.shared.settle(&mut st, &self.key);
        }
    }
}
