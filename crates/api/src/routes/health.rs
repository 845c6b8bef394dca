use std::time::{Duration, Instant};

use mlx_manager_core::db::Database;
use tokio::sync::Mutex;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// A health check must answer quickly even when the database hangs.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a probe result is reused: a flood of health checks costs the database at most
/// two queries a second, and the answer is never older than this.
pub const DATABASE_PROBE_MAX_AGE: Duration = Duration::from_millis(500);

/// Whether the database answers, probed by one caller at a time and reused briefly.
pub struct DatabaseProbe {
    db: Database,
    last: Mutex<Option<(Instant, bool)>>,
}

impl DatabaseProbe {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            last: Mutex::new(None),
        }
    }

    pub async fn reachable(&self) -> bool {
        // Holding the lock across the probe makes concurrent callers share its result.
        let mut last = self.last.lock().await;
        if let Some((at, reachable)) = *last
            && at.elapsed() < DATABASE_PROBE_MAX_AGE
        {
            return reachable;
        }
        let reachable = tokio::time::timeout(DATABASE_CHECK_TIMEOUT, self.db.is_reachable())
            .await
            .unwrap_or(false);
        *last = Some((Instant::now(), reachable));
        reachable
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `healthy` when every dependency answers, otherwise `unhealthy`.
    #[schema(example = "healthy")]
    pub status: String,
    /// The server's version.
    #[schema(example = "0.1.0")]
    pub version: String,
    pub database: DatabaseHealth,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatabaseHealth {
    /// Whether the database answered a query within two seconds (checked at most every 0.5 s).
    pub reachable: bool,
    /// `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub backend: String,
}

/// Reports whether the server and its database are up. Needs no authentication.
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses(
        (status = 200, description = "The server and its database are up", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    ),
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let reachable = state.database_probe.reachable().await;
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if reachable { "healthy" } else { "unhealthy" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database: DatabaseHealth {
            reachable,
            backend: state.db.backend().as_str().into(),
        },
    };
    (status, Json(body))
}
