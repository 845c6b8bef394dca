//! `/api/system`: the machine and the engine, as measured — memory (the machine's and the
//! pool's) and facts (OS, CPU, device, MLX, BLAS, uptime), which every approved user may read,
//! `/metrics` for admins' scrapers, and the audit log of model-API use
//! (admins).

mod audit;
pub(crate) mod audit_dto;
mod handlers;

pub(crate) use handlers::metrics_text;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::system_memory))
        .routes(routes!(handlers::system_info))
        .routes(routes!(handlers::metrics))
        .routes(routes!(audit::list_audit_logs))
        .routes(routes!(audit::audit_log_stats))
        .routes(routes!(audit::export_audit_logs))
}
