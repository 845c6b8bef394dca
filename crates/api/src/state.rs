use std::sync::Arc;

use axum::extract::FromRef;
use mlx_manager_auth::AuthService;
use mlx_manager_core::chats::ChatService;
use mlx_manager_core::db::Database;
use mlx_manager_core::permissions::PermissionService;
use mlx_manager_core::settings::{ModelApiSettings, TrustedProxies};
use mlx_manager_core::usage::{AuditLog, QuotaService};
use mlx_manager_hub::HubService;
use mlx_manager_serving::Serving;

use crate::routes::health::DatabaseProbe;

/// What every handler can reach: the services, built once by the composition root.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub auth: AuthService,
    pub hub: HubService,
    /// Profiles, the model pool and its settings.
    pub serving: Serving,
    /// What members may do (the hub checks it too, for the cache it manages).
    pub permissions: PermissionService,
    /// The web UI's conversations, each private to its owner.
    pub chats: ChatService,
    /// The model API's time limits.
    pub model_api: ModelApiSettings,
    pub database_probe: Arc<DatabaseProbe>,
    /// The counters `GET /metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Every `/v1` request's record (never its text).
    pub audit: AuditLog,
    /// The limits admins set on `/v1` use.
    pub quotas: QuotaService,
    /// Whose `X-Forwarded-For` names the client (from the server settings).
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl AppState {
    pub fn new(
        db: Database,
        auth: AuthService,
        hub: HubService,
        serving: Serving,
        model_api: ModelApiSettings,
        (audit, quotas): (AuditLog, QuotaService),
    ) -> Self {
        Self {
            audit,
            quotas,
            model_api,
            database_probe: Arc::new(DatabaseProbe::new(db.clone())),
            trusted_proxies: Arc::default(),
            metrics: Arc::default(),
            permissions: PermissionService::new(db.clone()),
            chats: ChatService::new(db.clone()),
            db,
            auth,
            hub,
            serving,
        }
    }
}

/// The authentication extractors and middleware take the auth service from the state.
impl FromRef<AppState> for AuthService {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}
