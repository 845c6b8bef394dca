use mlx_manager_core::CoreError;
use mlx_manager_hub::HubError;
use thiserror::Error;

/// Every way serving a model can fail; the API crate maps these to responses.
#[derive(Debug, Error)]
pub enum ServingError {
    #[error(transparent)]
    Core(#[from] CoreError),

    #[error(transparent)]
    Hub(#[from] HubError),

    /// Nothing by that name: not a model directory, not a ready model in the cache.
    #[error("{0}")]
    ModelNotFound(String),
}
