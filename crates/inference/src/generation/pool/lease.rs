//! A request's hold on a loaded model: while it lives, the model is busy (never evicted), its
//! turn is taken, and a forced stop can cancel it. Dropping it returns the turn and the stats.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, watch};

/// Where a lease reports back when it ends.
pub(super) trait LeaseSink: Send + Sync {
    /// The lease's turn comes back with it: freed, or kept out when the batch shrank.
    fn returned(
        &self,
        key: &str,
        id: u64,
        turn: Option<OwnedSemaphorePermit>,
        tokens: u64,
        decode_tokens_per_sec: Option<f64>,
    );
}

pub struct Lease<M> {
    pub(super) model: Option<Arc<M>>,
    pub(super) permit: Option<OwnedSemaphorePermit>,
    pub(super) cancel: watch::Receiver<bool>,
    pub(super) sink: Arc<dyn LeaseSink>,
    pub(super) key: String,
    pub(super) id: u64,
    pub(super) tokens: u64,
    pub(super) decode_tokens_per_sec: Option<f64>,
}

impl<M> Lease<M> {
    pub fn model(&self) -> &M {
        self.model.as_deref().expect("a live lease holds its model")
    }

    /// The pool's name for the model.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Resolves when a forced stop (or shutdown) cancels the requests running on the model;
    /// the holder should then drop its generation.
    pub async fn cancelled(&self) {
        let mut cancel = self.cancel.clone();
        let _ = cancel.wait_for(|cancelled| *cancelled).await;
    }

    /// What this request generated, for the model's stats.
    pub fn record(&mut self, tokens: u64, decode_tokens_per_sec: f64) {
        self.tokens += tokens;
        self.decode_tokens_per_sec = Some(decode_tokens_per_sec);
    }
}

impl<M> Drop for Lease<M> {
    fn drop(&mut self) {
        // Our reference goes first: the pool frees the model on a blocking thread, and the
        // last reference must not be this one (dropping a worker joins its thread).
        drop(self.model.take());
        let turn = self.permit.take();
        let (tokens, rate) = (self.tokens, self.decode_tokens_per_sec);
        self.sink.returned(&self.key, self.id, turn, tokens, rate);
    }
}
