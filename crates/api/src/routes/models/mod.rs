//! `/api/models`: search the hub, read a model's config, the local cache, and downloads.

mod downloads;
pub mod dto;
mod events;
mod local;
mod search;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// All need credentials (the caller wraps them in the authentication middleware).
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search::search_models))
        .routes(routes!(search::model_config))
        .routes(routes!(local::list_local_models))
        .routes(routes!(local::delete_local_model))
        .routes(routes!(downloads::start_download))
        .routes(routes!(downloads::list_downloads))
        .routes(routes!(downloads::get_download))
        .routes(routes!(downloads::pause_download))
        .routes(routes!(downloads::resume_download))
        .routes(routes!(downloads::cancel_download))
        .routes(routes!(events::download_events))
}
