use mlx_manager_core::CoreError;
use thiserror::Error;

/// Every way the auth layer can fail; the API crate maps these to responses.
#[derive(Debug, Error)]
pub enum AuthError {
    #[error(transparent)]
    Core(#[from] CoreError),
}
