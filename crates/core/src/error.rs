use thiserror::Error;

/// Every way the core layer can fail.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A configuration value is missing or invalid; `key` names the setting.
    #[error("invalid setting `{key}`: {message}")]
    InvalidSetting { key: String, message: String },

    /// A value given by a user failed validation.
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },

    #[error("{entity} not found")]
    NotFound { entity: &'static str },

    /// A uniqueness rule was broken (e.g. an e-mail that is already registered).
    #[error("{entity} with this {field} already exists")]
    UniqueViolation {
        entity: &'static str,
        field: &'static str,
    },

    /// The change would break a rule that must always hold (e.g. "an approved admin exists").
    #[error("{0}")]
    RuleViolation(String),

    /// The action cannot happen in the resource's current state (e.g. deleting a model that is
    /// downloading).
    #[error("{0}")]
    Conflict(String),

    /// A remote service (the Hugging Face hub) could not be reached or answered with an error.
    #[error("{service} unavailable: {message}")]
    Unavailable {
        service: &'static str,
        message: String,
    },

    /// The remote service refused access (a gated or private repository without a valid token).
    #[error("{0}")]
    AccessDenied(String),

    /// Downloaded bytes do not match the checksum the hub announced.
    #[error("{0}")]
    ChecksumMismatch(String),

    /// The disk is full; partial data was kept for a later resume.
    #[error("{0}")]
    DiskFull(String),

    #[error("cannot open database: {0}")]
    DatabaseUnreachable(String),

    #[error("database migration failed: {0}")]
    Migration(String),

    #[error("database error: {0}")]
    Database(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl CoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
