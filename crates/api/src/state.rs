use std::sync::Arc;

use mlx_manager_auth::AuthService;
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;

use crate::routes::health::DatabaseProbe;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub auth: AuthService,
    pub database_probe: Arc<DatabaseProbe>,
}

impl AppState {
    pub fn new(db: Database, settings: Settings, auth: AuthService) -> Self {
        Self {
            database_probe: Arc::new(DatabaseProbe::new(db.clone())),
            db,
            settings: Arc::new(settings),
            auth,
        }
    }
}
