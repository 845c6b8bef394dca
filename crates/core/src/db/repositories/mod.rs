//! Repositories: the only code that issues queries. They speak domain types and [`crate::CoreError`].

mod api_keys;
mod audit_logs;
mod chats;
mod downloads;
mod permissions;
mod pool_settings;
mod profiles;
mod quotas;
mod revoked_tokens;
mod stored_secrets;
mod user_rules;
mod users;

pub use api_keys::{ApiKeyRepository, NewApiKeyRecord};
pub use audit_logs::{AuditLogRepository, RecentUse};
pub use chats::ChatRepository;
pub use downloads::{DownloadProgressUpdate, DownloadRecord, DownloadRepository};
pub use permissions::PermissionRepository;
pub use pool_settings::PoolSettingsRepository;
pub use profiles::ProfileRepository;
pub use quotas::QuotaRepository;
pub use revoked_tokens::RevokedTokenRepository;
pub use stored_secrets::{SealedSecret, StoredSecretRepository};
pub use user_rules::LAST_ADMIN;
pub use users::{NewUser, UserChanges, UserRepository};

use sea_orm::{DbErr, SqlErr};

use crate::CoreError;

/// Maps a database error, recognising unique-constraint violations on both backends.
pub(crate) fn map_db_error(
    error: DbErr,
    entity: &'static str,
    unique_field: &'static str,
) -> CoreError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CoreError::UniqueViolation {
            entity,
            field: unique_field,
        },
        _ => CoreError::Database(error),
    }
}
