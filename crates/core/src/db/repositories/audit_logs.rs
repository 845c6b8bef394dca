//! The audit log's rows: appended in batches, read back filtered, summed, pruned.

use sea_orm::sea_query::{Alias, Expr, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Set,
};

use crate::CoreError;
use crate::db::Database;
use crate::db::entities::audit_log;
use crate::domain::audit::QUOTA_EXCEEDED;
use crate::domain::{AuditEntry, AuditFilter, AuditRecord, AuditStats, UsageTotals, UserTotals};

fn db_error(error: sea_orm::DbErr) -> CoreError {
    CoreError::Database(error)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn record_of(row: audit_log::Model) -> AuditRecord {
    AuditRecord {
        id: row.id,
        entry: AuditEntry {
            created_at: row.created_at,
            request_id: row.request_id,
            user_id: row.user_id,
            api_key_id: row.api_key_id,
            model: row.model,
            endpoint: row.endpoint,
            status: u16::try_from(row.status).unwrap_or(0),
            prompt_tokens: row.prompt_tokens.map(to_u64),
            completion_tokens: row.completion_tokens.map(to_u64),
            ttft_ms: row.ttft_ms.map(to_u64),
            duration_ms: to_u64(row.duration_ms),
            error_type: row.error_type,
            client_address: row.client_address,
        },
    }
}

fn row_of(entry: AuditEntry) -> audit_log::ActiveModel {
    audit_log::ActiveModel {
        created_at: Set(entry.created_at),
        request_id: Set(entry.request_id),
        user_id: Set(entry.user_id),
        api_key_id: Set(entry.api_key_id),
        model: Set(entry.model),
        endpoint: Set(entry.endpoint),
        status: Set(i32::from(entry.status)),
        prompt_tokens: Set(entry.prompt_tokens.map(to_i64)),
        completion_tokens: Set(entry.completion_tokens.map(to_i64)),
        ttft_ms: Set(entry.ttft_ms.map(to_i64)),
        duration_ms: Set(to_i64(entry.duration_ms)),
        error_type: Set(entry.error_type),
        client_address: Set(entry.client_address),
        ..Default::default()
    }
}

fn condition(filter: &AuditFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(user_id) = filter.user_id {
        condition = condition.add(audit_log::Column::UserId.eq(user_id));
    }
    if let Some(model) = &filter.model {
        condition = condition.add(audit_log::Column::Model.eq(model.as_str()));
    }
    if let Some(endpoint) = &filter.endpoint {
        condition = condition.add(audit_log::Column::Endpoint.eq(endpoint.as_str()));
    }
    if let Some(status) = filter.status {
        condition = condition.add(audit_log::Column::Status.eq(i32::from(status)));
    }
    if let Some(since) = filter.since {
        condition = condition.add(audit_log::Column::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        condition = condition.add(audit_log::Column::CreatedAt.lt(until));
    }
    condition
}

/// `SUM(column)` as a BIGINT, 0 when there are no rows (PostgreSQL sums BIGINTs as NUMERIC).
fn sum_of(column: audit_log::Column) -> SimpleExpr {
    Func::cast_as(
        Func::coalesce([Expr::from(Func::sum(Expr::col(column))), Expr::val(0i64)]),
        Alias::new("BIGINT"),
    )
    .into()
}

/// Selects the requests and token sums of `query`, grouped by whatever it groups by.
fn with_totals(query: Select<audit_log::Entity>) -> Select<audit_log::Entity> {
    query
        .column_as(
            Expr::from(Func::count(Expr::col(audit_log::Column::Id))),
            "requests",
        )
        .column_as(sum_of(audit_log::Column::PromptTokens), "prompt_tokens")
        .column_as(
            sum_of(audit_log::Column::CompletionTokens),
            "completion_tokens",
        )
}

fn totals((requests, prompt, completion): (i64, i64, i64)) -> UsageTotals {
    UsageTotals {
        requests: to_u64(requests),
        prompt_tokens: to_u64(prompt),
        completion_tokens: to_u64(completion),
    }
}

/// What a quota counts of one recent request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentUse {
    pub user_id: i32,
    /// Arrival, Unix ms.
    pub created_at: i64,
    /// Arrival plus duration, Unix ms.
    pub finished_at: i64,
    pub completion_tokens: u64,
    pub counts_as_request: bool,
}

#[derive(Clone)]
pub struct AuditLogRepository {
    db: Database,
}

impl AuditLogRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Appends the entries in one statement.
    pub async fn insert_all(&self, entries: Vec<AuditEntry>) -> Result<(), CoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        audit_log::Entity::insert_many(entries.into_iter().map(row_of))
            .exec_without_returning(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// One page of the entries `filter` selects, the newest first, and how many it selects.
    pub async fn page(
        &self,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditRecord>, u64), CoreError> {
        let query = audit_log::Entity::find().filter(condition(filter));
        let total = query
            .clone()
            .count(self.db.connection())
            .await
            .map_err(db_error)?;
        let rows = query
            .order_by_desc(audit_log::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok((rows.into_iter().map(record_of).collect(), total))
    }

    /// Up to `limit` entries after the entry `after_id` (oldest first), for an export that
    /// reads the log in batches without holding it in memory.
    pub async fn after(
        &self,
        filter: &AuditFilter,
        after_id: i32,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, CoreError> {
        let rows = audit_log::Entity::find()
            .filter(condition(filter))
            .filter(audit_log::Column::Id.gt(after_id))
            .order_by_asc(audit_log::Column::Id)
            .limit(limit)
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(record_of).collect())
    }

    pub async fn stats(&self, filter: &AuditFilter) -> Result<AuditStats, CoreError> {
        let connection = self.db.connection();
        let base = || {
            audit_log::Entity::find()
                .select_only()
                .filter(condition(filter))
        };
        let total = with_totals(base())
            .into_tuple::<(i64, i64, i64)>()
            .one(connection)
            .await
            .map_err(db_error)?
            .map(totals)
            .unwrap_or_default();
        let by_status = with_totals(base().column(audit_log::Column::Status))
            .group_by(audit_log::Column::Status)
            .order_by_asc(audit_log::Column::Status)
            .into_tuple::<(i32, i64, i64, i64)>()
            .all(connection)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|(status, r, p, c)| (u16::try_from(status).unwrap_or(0), totals((r, p, c))))
            .collect();
        let by_model = with_totals(base().column(audit_log::Column::Model))
            .group_by(audit_log::Column::Model)
            .order_by_asc(audit_log::Column::Model)
            .into_tuple::<(Option<String>, i64, i64, i64)>()
            .all(connection)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|(model, r, p, c)| (model, totals((r, p, c))))
            .collect();
        let by_user = with_totals(base().column(audit_log::Column::UserId))
            .group_by(audit_log::Column::UserId)
            .order_by_asc(audit_log::Column::UserId)
            .into_tuple::<(Option<i32>, i64, i64, i64)>()
            .all(connection)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|(user_id, r, p, c)| UserTotals {
                user_id,
                email: None,
                totals: totals((r, p, c)),
            })
            .collect();
        Ok(AuditStats {
            total,
            by_status,
            by_model,
            by_user,
        })
    }

    /// Every request of a known user since `since` (Unix ms), for the quotas' counters.
    pub async fn recent_use(&self, since: i64) -> Result<Vec<RecentUse>, CoreError> {
        let rows = audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::UserId)
            .column(audit_log::Column::CreatedAt)
            .column(audit_log::Column::DurationMs)
            .column(audit_log::Column::CompletionTokens)
            .column(audit_log::Column::ErrorType)
            .filter(audit_log::Column::CreatedAt.gte(since))
            .filter(audit_log::Column::UserId.is_not_null())
            .order_by_asc(audit_log::Column::CreatedAt)
            .into_tuple::<(Option<i32>, i64, i64, Option<i64>, Option<String>)>()
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(user_id, created_at, duration_ms, tokens, error_type)| {
                Some(RecentUse {
                    user_id: user_id?,
                    created_at,
                    finished_at: created_at.saturating_add(duration_ms),
                    completion_tokens: tokens.map_or(0, to_u64),
                    counts_as_request: error_type.as_deref() != Some(QUOTA_EXCEEDED),
                })
            })
            .collect())
    }

    /// Deletes entries older than `before` (Unix ms), then all but the newest `keep_rows`;
    /// returns how many went.
    pub async fn prune(&self, before: i64, keep_rows: u64) -> Result<u64, CoreError> {
        let connection = self.db.connection();
        let old = audit_log::Entity::delete_many()
            .filter(audit_log::Column::CreatedAt.lt(before))
            .exec(connection)
            .await
            .map_err(db_error)?
            .rows_affected;
        let oldest_kept: Option<i32> = audit_log::Entity::find()
            .select_only()
            .column(audit_log::Column::Id)
            .order_by_desc(audit_log::Column::Id)
            .offset(keep_rows.saturating_sub(1))
            .limit(1)
            .into_tuple()
            .one(connection)
            .await
            .map_err(db_error)?;
        let surplus = match oldest_kept {
            Some(id) => {
                audit_log::Entity::delete_many()
                    .filter(audit_log::Column::Id.lt(id))
                    .exec(connection)
                    .await
                    .map_err(db_error)?
                    .rows_affected
            }
            None => 0,
        };
        Ok(old + surplus)
    }
}
