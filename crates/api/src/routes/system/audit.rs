//! `/api/system/audit-logs`: every model-API request, for admins — a page at a time, summed,
//! or exported whole as a stream.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};

use super::audit_dto::{
    AuditEntryResponse, AuditPage, AuditQuery, AuditStatsResponse, ExportFormat, ExportQuery,
    PageQuery,
};
use crate::error::{ApiError, problems};
use crate::extract::AdminUser;
use crate::problem::FieldError;
use crate::state::AppState;

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;
const MAX_OFFSET: u64 = i64::MAX as u64;

/// The audit log's entries, the newest first, filtered and a page at a time. Admin only.
#[utoipa::path(
    get,
    path = "/api/system/audit-logs",
    tag = "system",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "One page of entries", body = AuditPage),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn list_audit_logs(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(query): Query<AuditQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::Validation(vec![FieldError {
            field: "limit".into(),
            message: format!("must be between 1 and {MAX_PAGE}"),
        }]));
    }
    // The databases count rows in signed 64 bits.
    if page.offset > MAX_OFFSET {
        return Err(ApiError::Validation(vec![FieldError {
            field: "offset".into(),
            message: format!("must be at most {MAX_OFFSET}"),
        }]));
    }
    let filter = query.filter()?;
    let (records, total) = state
        .audit
        .list(&admin.user, &filter, page.offset, limit)
        .await?;
    Ok(Json(AuditPage {
        items: records.into_iter().map(Into::into).collect(),
        total,
        offset: page.offset,
        limit,
    }))
}

/// Requests and tokens of the entries the filter selects, in all and by status, model and
/// user. Admin only.
#[utoipa::path(
    get,
    path = "/api/system/audit-logs/stats",
    tag = "system",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(AuditQuery),
    responses(
        (status = 200, description = "The totals", body = AuditStatsResponse),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn audit_log_stats(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditStatsResponse>, ApiError> {
    let stats = state.audit.stats(&admin.user, &query.filter()?).await?;
    Ok(Json(stats.into()))
}

/// Every entry the filter selects, oldest first, streamed as JSON lines or CSV (a download:
/// fetch it with the `Authorization` header like every route). Admin only.
#[utoipa::path(
    get,
    path = "/api/system/audit-logs/export",
    tag = "system",
    security(("bearer" = ["admin"]), ("api_key" = ["admin"])),
    params(AuditQuery, ExportQuery),
    responses(
        (status = 200, description = "`application/x-ndjson` (one `AuditEntryResponse` per line) or `text/csv` with a header row", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        problems::Unauthorized,
        problems::Forbidden,
        problems::Invalid,
    ),
)]
pub async fn export_audit_logs(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Query(query): Query<AuditQuery>,
    Query(export): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = export.format.unwrap_or(ExportFormat::Jsonl);
    let records = state.audit.export(&admin.user, query.filter()?).await?;
    let entries = records
        .map_ok(AuditEntryResponse::from)
        .map_err(std::io::Error::other);
    let (content_type, extension, body) = match format {
        ExportFormat::Jsonl => (
            "application/x-ndjson",
            "jsonl",
            entries
                .map(|entry| {
                    let mut line = serde_json::to_vec(&entry?).map_err(std::io::Error::other)?;
                    line.push(b'\n');
                    Ok::<_, std::io::Error>(Bytes::from(line))
                })
                .boxed(),
        ),
        ExportFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            futures_util::stream::once(async { Ok(csv_header()) })
                .chain(entries.map(|entry| csv_row(&entry?)))
                .boxed(),
        ),
    };
    let body = body.map_err(|error| {
        tracing::warn!(%error, "the audit log export stopped");
        error
    });
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"audit-log.{extension}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

const CSV_COLUMNS: [&str; 14] = [
    "id",
    "created_at",
    "request_id",
    "user_id",
    "api_key_id",
    "model",
    "endpoint",
    "status",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "duration_ms",
    "error_type",
    "client_address",
];

fn csv_header() -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(CSV_COLUMNS);
    Bytes::from(writer.into_inner().unwrap_or_default())
}

fn csv_row(entry: &AuditEntryResponse) -> Result<Bytes, std::io::Error> {
    let text = |value: Option<String>| value.unwrap_or_default();
    let number = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            entry.id.to_string(),
            entry.created_at.clone(),
            text(entry.request_id.clone()),
            text(entry.user_id.map(|v| v.to_string())),
            text(entry.api_key_id.map(|v| v.to_string())),
            text(entry.model.clone()),
            entry.endpoint.clone(),
            entry.status.to_string(),
            number(entry.prompt_tokens),
            number(entry.completion_tokens),
            number(entry.ttft_ms),
            entry.duration_ms.to_string(),
            text(entry.error_type.clone()),
            text(entry.client_address.clone()),
        ])
        .map_err(std::io::Error::other)?;
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}
