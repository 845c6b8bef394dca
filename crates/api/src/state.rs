use std::sync::Arc;

use mlx_manager_auth::AuthService;
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;
use mlx_manager_core::downloads::DownloadManager;
use mlx_manager_core::hub::MemoryBudget;

use crate::routes::health::DatabaseProbe;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub auth: AuthService,
    pub database_probe: Arc<DatabaseProbe>,
    pub downloads: DownloadManager,
    /// Measured once at startup: what models may use.
    pub memory_budget: MemoryBudget,
}

impl AppState {
    pub fn new(
        db: Database,
        settings: Settings,
        auth: AuthService,
        downloads: DownloadManager,
    ) -> Self {
        Self {
            downloads,
            memory_budget: MemoryBudget::detect(),
            database_probe: Arc::new(DatabaseProbe::new(db.clone())),
            db,
            settings: Arc::new(settings),
            auth,
        }
    }
}
