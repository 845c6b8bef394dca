use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};

use super::migrations::Migrator;
use crate::CoreError;
use crate::settings::redact_url;

/// Bound on reaching the database at startup and on acquiring a pooled connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite writers wait this long for a lock instead of failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The application's database: a connection pool with the schema migrated.
#[derive(Debug, Clone)]
pub struct Database {
    connection: DatabaseConnection,
    backend: Backend,
}

impl Database {
    /// Connects and applies every pending migration.
    pub async fn connect(url: &SecretString) -> Result<Self, CoreError> {
        let raw = url.expose_secret();
        let unreachable = |e: sea_orm::DbErr| {
            CoreError::DatabaseUnreachable(format!("{}: {}", redact_url(raw), clean_db_error(&e)))
        };
        let mut options = ConnectOptions::new(raw.to_string());
        options
            .connect_timeout(CONNECT_TIMEOUT)
            .acquire_timeout(CONNECT_TIMEOUT)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        let connection = sea_orm::Database::connect(options)
            .await
            .map_err(unreachable)?;
        connection.ping().await.map_err(unreachable)?;
        let backend = match connection.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        };
        Migrator::up(&connection, None)
            .await
            .map_err(CoreError::Migration)?;
        Ok(Self {
            connection,
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// Whether the database answers a trivial query right now.
    pub async fn is_reachable(&self) -> bool {
        self.connection.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// Closes every pooled connection (SQLite checkpoints its WAL on the last close).
    pub async fn close(self) -> Result<(), CoreError> {
        self.connection.close().await.map_err(CoreError::Database)
    }
}

/// sqlx errors repeat themselves through several wrappers; keep the innermost message.
pub fn clean_db_error(error: &sea_orm::DbErr) -> String {
    let text = error.to_string();
    text.rsplit(": ").next().unwrap_or(&text).trim().to_string()
}
