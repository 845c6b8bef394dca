//! Running one repository test body against both database backends.

use mlx_manager_core::db::Database;

/// A migrated SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite() -> (Database, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = mlx_manager_core::Settings::default_database_url(dir.path());
    let db = Database::connect(&url.into()).await.expect("open SQLite");
    (db, dir)
}

/// A migrated database of its own on the test PostgreSQL server.
pub async fn postgresql() -> Database {
    let url = crate::postgres::fresh_database().await;
    Database::connect(&url.into())
        .await
        .expect("open PostgreSQL")
}

/// Declares, for each `async fn name(db: Database)`, a test on SQLite and one on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    let (db, _dir) = $crate::backends::sqlite().await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::backends::postgresql().await).await;
                }
            )*
        }
    };
}
