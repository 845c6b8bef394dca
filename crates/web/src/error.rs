use std::net::SocketAddr;
use std::path::PathBuf;

use mlx_manager_auth::AuthError;
use mlx_manager_core::CoreError;
use mlx_manager_hub::HubError;
use thiserror::Error;

/// Why the application could not start or stopped with an error. Each message is one line
/// meant for the operator; none holds a secret.
#[derive(Debug, Error)]
pub enum StartupError {
    /// The settings, or the database behind them.
    #[error(transparent)]
    Core(#[from] CoreError),

    #[error("cannot use data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot set up authentication: {0}")]
    Auth(#[from] AuthError),

    #[error("cannot start downloads: {0}")]
    Hub(#[from] HubError),

    #[error("cannot start the model pool: {0}")]
    Serving(#[from] mlx_manager_serving::ServingError),

    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}
