use mlx_manager_core::CoreError;
use thiserror::Error;

/// Every way the hub layer can fail; the API crate maps these to responses.
///
/// Messages never contain the hub token: they may be logged.
#[derive(Debug, Error)]
pub enum HubError {
    /// The database or a domain rule (an invalid repository id, say).
    #[error(transparent)]
    Core(#[from] CoreError),

    /// A value given by a user failed validation; `field` names it.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },

    /// A repository, revision or file does not exist (on the hub, or in the cache); the message
    /// says which.
    #[error("{0}")]
    NotFound(String),

    /// The action cannot happen in the resource's current state (deleting a model that is
    /// downloading, resuming a finished job).
    #[error("{0}")]
    Conflict(String),

    /// The hub answered with an error, an unexpected body, or is switched off (offline mode).
    #[error("{service} unavailable: {message}")]
    Unavailable {
        service: &'static str,
        message: String,
    },

    /// The hub could not be reached or the connection broke; the source is the HTTP client's.
    #[error("{} unavailable: {message}", crate::HUB_NAME)]
    Transport {
        message: String,
        #[source]
        source: reqwest::Error,
    },

    /// The hub refused access (a gated or private repository without a valid token).
    #[error("{0}")]
    AccessDenied(String),

    /// Downloaded bytes do not match the checksum the hub announced.
    #[error("{0}")]
    ChecksumMismatch(String),

    /// The disk is full; partial data was kept for a later resume.
    #[error("{0}")]
    DiskFull(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl HubError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
