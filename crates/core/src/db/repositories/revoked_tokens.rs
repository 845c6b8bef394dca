use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::revoked_token;

const ENTITY: &str = "revoked token";

/// Tokens ended by logout, persisted so a restart does not bring them back.
#[derive(Clone)]
pub struct RevokedTokenRepository {
    db: Database,
}

impl RevokedTokenRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Records a token as revoked until `expires_at` (Unix seconds); revoking twice is fine.
    pub async fn revoke(&self, jti: &str, user_id: i32, expires_at: i64) -> Result<(), CoreError> {
        let row = revoked_token::ActiveModel {
            jti: Set(jti.to_string()),
            user_id: Set(user_id),
            expires_at: Set(expires_at),
        };
        revoked_token::Entity::insert(row)
            .on_conflict_do_nothing_on([revoked_token::Column::Jti])
            .exec_without_returning(self.db.connection())
            .await
            .map(|_| ())
            .map_err(|e| map_db_error(e, ENTITY, "jti"))
    }

    pub async fn is_revoked(&self, jti: &str) -> Result<bool, CoreError> {
        revoked_token::Entity::find_by_id(jti.to_string())
            .one(self.db.connection())
            .await
            .map(|row| row.is_some())
            .map_err(|e| map_db_error(e, ENTITY, "jti"))
    }

    /// Forgets revocations of tokens that have expired anyway (Unix seconds).
    pub async fn purge_expired(&self, now_secs: i64) -> Result<u64, CoreError> {
        revoked_token::Entity::delete_many()
            .filter(revoked_token::Column::ExpiresAt.lt(now_secs))
            .exec(self.db.connection())
            .await
            .map(|r| r.rows_affected)
            .map_err(|e| map_db_error(e, ENTITY, "jti"))
    }
}
