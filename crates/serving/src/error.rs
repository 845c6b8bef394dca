use mlx_manager_core::CoreError;
use mlx_manager_hub::HubError;
use mlx_manager_inference::InferenceError;
use thiserror::Error;

/// Every way serving a model can fail; the API crate maps these to responses.
#[derive(Debug, Error)]
pub enum ServingError {
    #[error(transparent)]
    Core(#[from] CoreError),

    #[error(transparent)]
    Hub(#[from] HubError),

    /// The engine or the pool refused or failed: unknown architecture, corrupt weights, no room,
    /// a full queue, a stop…
    #[error(transparent)]
    Inference(#[from] InferenceError),

    /// A background task of serving died (a panic in a loader, say).
    #[error("{0}")]
    TaskFailed(String),

    /// Nothing by that name: not a model directory, not a ready model in the cache.
    #[error("{0}")]
    ModelNotFound(String),

    /// A profile names a model that is not (completely) in the cache.
    #[error("{0}")]
    NotDownloaded(String),

    /// The action clashes with what runs: deleting a loaded model, a context longer than the
    /// model's.
    #[error("{0}")]
    Conflict(String),
}
