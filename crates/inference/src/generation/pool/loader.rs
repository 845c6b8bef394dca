//! How the pool turns a model directory into something that serves requests. The real loader
//! starts a [`ModelWorker`]; tests give the pool a fake one, so the pool's rules are tested
//! without weights.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::InferenceError;
use crate::generation::{LoadProgress, ModelWorker};

/// A loaded model and the memory it took: its tensors (`memory_bytes`, what its admitted need
/// is compared with) and the host memory beyond them (its tokenizer), counted as well.
pub struct Loaded<M> {
    pub model: M,
    pub memory_bytes: u64,
    pub host_bytes: u64,
}

/// Loads models for the pool. `load` blocks (the pool calls it on a blocking thread) and
/// reports progress as it reads weights; dropping a model unloads it (also on a blocking thread).
pub trait Loader: Send + Sync + 'static {
    type Model: Send + Sync + 'static;

    fn load(
        &self,
        dir: &Path,
        progress: Box<dyn FnMut(LoadProgress) + Send>,
    ) -> Result<Loaded<Self::Model>, InferenceError>;

    /// Bounds what a loaded model may hold beyond what its load took (its prompt cache) and
    /// returns a live count of those bytes, which the pool adds to the model's memory. `None`:
    /// it caches nothing.
    fn cache_within(&self, _model: &Self::Model, _limit_bytes: u64) -> Option<Arc<AtomicU64>> {
        None
    }

    /// Drops what an idle model caches: another load wants the memory.
    fn release_cache(&self, _model: &Self::Model) {}

    /// A live count of what a loaded model's running requests hold (their keys and values),
    /// which the pool adds to the model's memory. `None`: nothing beyond the load.
    fn running_bytes(&self, _model: &Self::Model) -> Option<Arc<AtomicU64>> {
        None
    }

    /// Lets a loaded model run up to `requests` requests together.
    fn batch_within(&self, _model: &Self::Model, _requests: usize) {}
}

/// Loads a model onto its own worker thread; its memory is what MLX measured across the load.
pub struct WorkerLoader;

impl Loader for WorkerLoader {
    type Model = ModelWorker;

    fn load(
        &self,
        dir: &Path,
        progress: Box<dyn FnMut(LoadProgress) + Send>,
    ) -> Result<Loaded<ModelWorker>, InferenceError> {
        let worker = ModelWorker::load_with_progress(dir, progress)?;
        Ok(Loaded {
            memory_bytes: worker.memory.resident_bytes,
            host_bytes: worker.memory.host_bytes,
            model: worker,
        })
    }

    fn cache_within(&self, model: &ModelWorker, limit_bytes: u64) -> Option<Arc<AtomicU64>> {
        model.set_memory_room(limit_bytes);
        model.set_prompt_cache_limit(limit_bytes);
        Some(model.prompt_cache_counter())
    }

    fn release_cache(&self, model: &ModelWorker) {
        model.clear_prompt_cache();
    }

    fn running_bytes(&self, model: &ModelWorker) -> Option<Arc<AtomicU64>> {
        Some(model.running_kv_counter())
    }

    fn batch_within(&self, model: &ModelWorker, requests: usize) {
        model.set_max_batch_size(requests);
    }
}
