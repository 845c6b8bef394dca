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

    /// Several values given by a user failed validation, each named (a form shows them all at
    /// once).
    #[error("invalid {}", InvalidField::summary(.0))]
    InvalidFields(Vec<InvalidField>),

    /// The caller's role, or the permissions an admin set, do not allow the action.
    #[error("{0}")]
    Forbidden(String),

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

    /// The database cannot be reached; the message names it with any password masked.
    #[error("cannot open database: {0}")]
    DatabaseUnreachable(String),

    #[error("database migration failed: {}", crate::db::clean_db_error(.0))]
    Migration(#[source] sea_orm::DbErr),

    #[error("database error: {}", crate::db::clean_db_error(.0))]
    Database(#[source] sea_orm::DbErr),

    /// A stored value the code cannot read back (a bug or a hand-edited database).
    #[error("corrupt record: {0}")]
    CorruptRecord(String),

    /// The caller used up a quota an admin set; the window frees in `retry_after_secs`.
    #[error("{detail}")]
    QuotaExceeded {
        detail: String,
        retry_after_secs: u64,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

/// One invalid value of a request: the field it came from and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidField {
    pub field: &'static str,
    pub message: String,
}

impl InvalidField {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    fn summary(fields: &[Self]) -> String {
        fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl From<InvalidField> for CoreError {
    fn from(invalid: InvalidField) -> Self {
        Self::Invalid {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

impl CoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
