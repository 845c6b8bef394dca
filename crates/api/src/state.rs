use std::sync::Arc;

use mlx_manager_auth::AuthService;
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub auth: AuthService,
}

impl AppState {
    pub fn new(db: Database, settings: Settings, auth: AuthService) -> Self {
        Self {
            db,
            settings: Arc::new(settings),
            auth,
        }
    }
}
