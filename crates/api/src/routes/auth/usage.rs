//! `GET /api/auth/me/usage`: the caller's own model-API use, their quota and how much of it is
//! left. Nobody reads another user's usage here (admins have the audit log).

use axum::Json;
use axum::extract::{Query, State};
use mlx_manager_core::domain::AuditFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::routes::settings::QuotaResponse;
use crate::routes::system::audit_dto::{ModelTotals, Totals, model_totals, parse_time};
use crate::state::AppState;

/// The default period of the totals.
const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Totals from this time on (RFC 3339); default: the last 30 days.
    pub since: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsageResponse {
    /// The limits that apply to the caller.
    pub quota: QuotaResponse,
    /// Requests counted against `requests_per_minute` in the last 60 seconds.
    pub requests_last_minute: u64,
    /// Tokens generated in the last 24 hours (against `tokens_per_day`).
    pub tokens_last_day: u64,
    /// The start of the totals' period (RFC 3339).
    pub since: String,
    pub totals: Totals,
    pub by_model: Vec<ModelTotals>,
}

/// The caller's model-API use: their quota, what they used of it, and totals by model.
#[utoipa::path(
    get,
    path = "/api/auth/me/usage",
    tag = "auth",
    security(("bearer" = []), ("api_key" = [])),
    params(UsageQuery),
    responses(
        (status = 200, description = "The caller's usage", body = UsageResponse),
        problems::Unauthorized,
        problems::Invalid,
    ),
)]
pub async fn my_usage(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Query(query): Query<UsageQuery>,
) -> Result<Json<UsageResponse>, ApiError> {
    let since = match query.since {
        Some(since) => parse_time("since", &since).map_err(|e| ApiError::Validation(vec![e]))?,
        None => mlx_manager_core::time::now_millis() - DEFAULT_DAYS * 24 * 3600 * 1000,
    };
    let quota = state.quotas.usage(&caller.user).await?;
    let filter = AuditFilter {
        since: Some(since),
        ..Default::default()
    };
    let stats = state.audit.own_stats(&caller.user, filter).await?;
    Ok(Json(UsageResponse {
        quota: quota.quota.into(),
        requests_last_minute: quota.requests_last_minute,
        tokens_last_day: quota.tokens_last_day,
        since: crate::routes::auth::rfc3339(since),
        totals: stats.total.into(),
        by_model: model_totals(stats.by_model),
    }))
}
