//! The quotas admins set: per user, and the members' default.

use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::{quota_default, user_quota};
use crate::domain::QuotaLimits;
use crate::time::now_millis;

/// The scope of the members' default row.
const MEMBERS: &str = "members";

fn db_error(error: sea_orm::DbErr) -> CoreError {
    map_db_error(error, "quota", "user_id")
}

fn limits_of(requests_per_minute: Option<i32>, tokens_per_day: Option<i64>) -> QuotaLimits {
    QuotaLimits {
        requests_per_minute: requests_per_minute.and_then(|v| u32::try_from(v).ok()),
        tokens_per_day: tokens_per_day.and_then(|v| u64::try_from(v).ok()),
    }
}

fn rpm_column(limits: &QuotaLimits) -> Option<i32> {
    limits
        .requests_per_minute
        .map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

fn tpd_column(limits: &QuotaLimits) -> Option<i64> {
    limits
        .tokens_per_day
        .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

#[derive(Clone)]
pub struct QuotaRepository {
    db: Database,
}

impl QuotaRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The members' default; unlimited while none is stored.
    pub async fn members_default(&self) -> Result<QuotaLimits, CoreError> {
        Ok(quota_default::Entity::find_by_id(MEMBERS)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .map(|row| limits_of(row.requests_per_minute, row.tokens_per_day))
            .unwrap_or_default())
    }

    pub async fn set_members_default(
        &self,
        limits: &QuotaLimits,
        by: i32,
    ) -> Result<(), CoreError> {
        let row = quota_default::ActiveModel {
            scope: Set(MEMBERS.into()),
            requests_per_minute: Set(rpm_column(limits)),
            tokens_per_day: Set(tpd_column(limits)),
            updated_at: Set(now_millis()),
            updated_by: Set(Some(by)),
        };
        let upsert = OnConflict::column(quota_default::Column::Scope)
            .update_columns([
                quota_default::Column::RequestsPerMinute,
                quota_default::Column::TokensPerDay,
                quota_default::Column::UpdatedAt,
                quota_default::Column::UpdatedBy,
            ])
            .to_owned();
        quota_default::Entity::insert(row)
            .on_conflict(upsert)
            .exec_without_returning(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The limits set for one user, if any.
    pub async fn for_user(&self, user_id: i32) -> Result<Option<QuotaLimits>, CoreError> {
        Ok(user_quota::Entity::find_by_id(user_id)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .map(|row| limits_of(row.requests_per_minute, row.tokens_per_day)))
    }

    /// Every user's own limits.
    pub async fn all_users(&self) -> Result<Vec<(i32, QuotaLimits)>, CoreError> {
        Ok(user_quota::Entity::find()
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|row| {
                (
                    row.user_id,
                    limits_of(row.requests_per_minute, row.tokens_per_day),
                )
            })
            .collect())
    }

    pub async fn set_for_user(
        &self,
        user_id: i32,
        limits: &QuotaLimits,
        by: i32,
    ) -> Result<(), CoreError> {
        let row = user_quota::ActiveModel {
            user_id: Set(user_id),
            requests_per_minute: Set(rpm_column(limits)),
            tokens_per_day: Set(tpd_column(limits)),
            updated_at: Set(now_millis()),
            updated_by: Set(Some(by)),
        };
        let upsert = OnConflict::column(user_quota::Column::UserId)
            .update_columns([
                user_quota::Column::RequestsPerMinute,
                user_quota::Column::TokensPerDay,
                user_quota::Column::UpdatedAt,
                user_quota::Column::UpdatedBy,
            ])
            .to_owned();
        user_quota::Entity::insert(row)
            .on_conflict(upsert)
            .exec_without_returning(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Returns the user to the members' default.
    pub async fn clear_for_user(&self, user_id: i32) -> Result<(), CoreError> {
        user_quota::Entity::delete_by_id(user_id)
            .exec(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
