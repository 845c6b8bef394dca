//! The audit log's query parameters and bodies.

use std::time::UNIX_EPOCH;

use mlx_manager_core::domain::{AuditFilter, AuditRecord, AuditStats, UsageTotals, UserTotals};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::problem::FieldError;
use crate::routes::auth::rfc3339;

/// Which entries: every parameter narrows the selection.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Requests of this user.
    pub user_id: Option<i32>,
    /// Requests naming this model (as the client named it).
    pub model: Option<String>,
    /// Requests to this route, e.g. `/v1/chat/completions`.
    pub endpoint: Option<String>,
    /// Requests answered with this HTTP status.
    pub status: Option<u16>,
    /// From this time on (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    pub until: Option<String>,
}

/// Parses an RFC 3339 time into Unix milliseconds, naming `field` when it is not one.
pub fn parse_time(field: &str, value: &str) -> Result<i64, FieldError> {
    humantime::parse_rfc3339_weak(value.trim())
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .and_then(|since_epoch| i64::try_from(since_epoch.as_millis()).ok())
        .ok_or_else(|| FieldError {
            field: field.to_string(),
            message: format!("{value:?} is not an RFC 3339 time such as 2026-12-01T00:00:00Z"),
        })
}

impl AuditQuery {
    pub fn filter(self) -> Result<AuditFilter, ApiError> {
        let mut errors = Vec::new();
        let mut time = |field: &str, value: Option<String>| {
            value.and_then(|value| parse_time(field, &value).map_err(|e| errors.push(e)).ok())
        };
        let since = time("since", self.since);
        let until = time("until", self.until);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(AuditFilter {
            user_id: self.user_id,
            model: self.model,
            endpoint: self.endpoint,
            status: self.status,
            since,
            until,
        })
    }
}

/// Which page of the entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Entries to skip (default 0).
    #[serde(default)]
    pub offset: u64,
    /// Entries per page, 1–500 (default 50).
    pub limit: Option<u64>,
}

/// The export's format.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (the default) or `csv`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// One model-API request. Holds no prompt or output text, and no credential.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: i32,
    /// When the request arrived (RFC 3339).
    pub created_at: String,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    pub user_id: Option<i32>,
    /// The API key used, by id; null for an access token (or no credential).
    pub api_key_id: Option<i32>,
    pub model: Option<String>,
    pub endpoint: String,
    /// The HTTP status answered.
    pub status: u16,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// From arrival to the first generated token, in milliseconds.
    pub ttft_ms: Option<u64>,
    /// From arrival to the end of the answer (or the client leaving), in milliseconds.
    pub duration_ms: u64,
    /// What went wrong, as a stable code (e.g. `model_not_found`, `quota_exceeded`,
    /// `cancelled`).
    pub error_type: Option<String>,
    /// The client's IP address; behind a trusted proxy, the one it forwarded.
    pub client_address: Option<String>,
}

impl From<AuditRecord> for AuditEntryResponse {
    fn from(record: AuditRecord) -> Self {
        let entry = record.entry;
        Self {
            id: record.id,
            created_at: rfc3339(entry.created_at),
            request_id: entry.request_id,
            user_id: entry.user_id,
            api_key_id: entry.api_key_id,
            model: entry.model,
            endpoint: entry.endpoint,
            status: entry.status,
            prompt_tokens: entry.prompt_tokens,
            completion_tokens: entry.completion_tokens,
            ttft_ms: entry.ttft_ms,
            duration_ms: entry.duration_ms,
            client_address: entry.client_address,
            error_type: entry.error_type,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The newest first.
    pub items: Vec<AuditEntryResponse>,
    /// How many entries the filter selects in all.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl From<UsageTotals> for Totals {
    fn from(t: UsageTotals) -> Self {
        Self {
            requests: t.requests,
            prompt_tokens: t.prompt_tokens,
            completion_tokens: t.completion_tokens,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusTotals {
    pub status: u16,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModelTotals {
    /// Null: requests that named no model.
    pub model: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserTotalsResponse {
    /// Null: requests refused before a user was recognised.
    pub user_id: Option<i32>,
    /// Null once the account is deleted.
    pub email: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditStatsResponse {
    pub total: Totals,
    pub by_status: Vec<StatusTotals>,
    pub by_model: Vec<ModelTotals>,
    pub by_user: Vec<UserTotalsResponse>,
}

pub fn model_totals(by_model: Vec<(Option<String>, UsageTotals)>) -> Vec<ModelTotals> {
    by_model
        .into_iter()
        .map(|(model, totals)| ModelTotals {
            model,
            totals: totals.into(),
        })
        .collect()
}

impl From<AuditStats> for AuditStatsResponse {
    fn from(stats: AuditStats) -> Self {
        Self {
            total: stats.total.into(),
            by_status: stats
                .by_status
                .into_iter()
                .map(|(status, totals)| StatusTotals {
                    status,
                    totals: totals.into(),
                })
                .collect(),
            by_model: model_totals(stats.by_model),
            by_user: stats
                .by_user
                .into_iter()
                .map(
                    |UserTotals {
                         user_id,
                         email,
                         totals,
                     }| UserTotalsResponse {
                        user_id,
                        email,
                        totals: totals.into(),
                    },
                )
                .collect(),
        }
    }
}
