//! Loading a located model into the engine, off the async executor, and what it then needs.

use mlx_manager_core::memory::MemoryNeed;
use mlx_manager_inference::generation::ModelWorker;

use crate::{ModelLocation, ServingError};

/// A model loaded on its own worker thread.
pub struct LoadedModel {
    pub worker: ModelWorker,
    pub location: ModelLocation,
}

impl LoadedModel {
    /// Memory it needs resident while serving `context_tokens` tokens: the one estimator that
    /// search uses too, fed with the engine's facts about this model.
    pub fn memory_need(&self, context_tokens: u64) -> MemoryNeed {
        let facts = &self.worker.facts;
        MemoryNeed::estimate(
            facts.bytes_on_disk,
            Some(facts.kv_cache_bytes_per_token),
            context_tokens,
        )
    }
}

/// Loads the model at `location` on a blocking thread (reading weights is long, blocking work).
pub async fn load_model(location: ModelLocation) -> Result<LoadedModel, ServingError> {
    tokio::task::spawn_blocking(move || load_model_blocking(location))
        .await
        .map_err(|e| {
            ServingError::TaskFailed(format!("the model loader stopped unexpectedly: {e}"))
        })?
}

/// [`load_model`] for callers that are already off the executor (the CLI).
pub fn load_model_blocking(location: ModelLocation) -> Result<LoadedModel, ServingError> {
    let worker = ModelWorker::load(&location.dir)?;
    Ok(LoadedModel { worker, location })
}
