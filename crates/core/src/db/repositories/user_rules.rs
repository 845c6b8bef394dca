//! User writes that must keep invariants under concurrency: the first user becomes the admin,
//! and an approved admin always exists.
//!
//! Each runs in one transaction. On PostgreSQL an advisory lock serialises them; on SQLite the
//! transaction's first statement is a write, which takes the database's write lock at once
//! (reading first would let two writers race on a stale snapshot).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};

use super::map_db_error;
use super::users::{ENTITY, UserChanges, UserRepository, fetch};
use crate::CoreError;
use crate::db::Backend;
use crate::db::entities::user;
use crate::domain::User;
use crate::domain::{Email, UserStatus};
use crate::time::now_millis;

/// Arbitrary but fixed key of the PostgreSQL advisory lock guarding user-role changes.
const USER_RULES_LOCK: i64 = 0x6d6c_786d_7573_6572;

pub const LAST_ADMIN: &str =
    "at least one approved admin must remain: promote or approve another admin first";

impl UserRepository {
    /// Self-registration: the very first user becomes an approved admin, everyone after is
    /// pending. Exactly one admin results however many register at once.
    /// Creates a pending account, or the approved admin when it is the very first one, unless
    /// `may_become_admin` is false: then the first account is refused (`Forbidden`), in the
    /// same transaction, so no race lets it through.
    pub async fn register(
        &self,
        email: Email,
        password_hash: String,
        may_become_admin: bool,
    ) -> Result<User, CoreError> {
        let txn = self.begin().await?;
        let inserted = user::Entity::insert(user::ActiveModel {
            email: sea_orm::Set(email.as_str().to_string()),
            password_hash: sea_orm::Set(password_hash),
            is_admin: sea_orm::Set(false),
            status: sea_orm::Set(UserStatus::Pending.as_str().to_string()),
            session_version: sea_orm::Set(0),
            created_at: sea_orm::Set(now_millis()),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .map_err(|e| map_db_error(e, ENTITY, "email"))?;
        let id = inserted.last_insert_id;
        let everyone = user::Entity::find().count(&txn).await.map_err(db_error)?;
        if everyone == 1 && !may_become_admin {
            txn.rollback().await.map_err(db_error)?;
            return Err(CoreError::Forbidden(
                "the first account becomes the administrator and needs the setup token".into(),
            ));
        }
        if everyone == 1 {
            user::Entity::update_many()
                .col_expr(user::Column::IsAdmin, Expr::value(true))
                .col_expr(
                    user::Column::Status,
                    Expr::value(UserStatus::Approved.as_str()),
                )
                .col_expr(user::Column::ApprovedAt, Expr::value(now_millis()))
                .filter(user::Column::Id.eq(id))
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        let created = fetch(&txn, id).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(created)
    }

    /// Changes a user, refusing anything that would leave no approved admin.
    pub async fn update(&self, id: i32, changes: UserChanges) -> Result<User, CoreError> {
        if changes.is_empty() {
            return self.find_by_id(id).await;
        }
        let txn = self.begin().await?;
        let mut update = user::Entity::update_many().filter(user::Column::Id.eq(id));
        if let Some(email) = &changes.email {
            update = update.col_expr(user::Column::Email, Expr::value(email.as_str()));
        }
        if let Some(hash) = changes.password_hash {
            update = update.col_expr(user::Column::PasswordHash, Expr::value(hash));
        }
        if let Some(is_admin) = changes.is_admin {
            update = update.col_expr(user::Column::IsAdmin, Expr::value(is_admin));
        }
        if let Some(status) = changes.status {
            update = update.col_expr(user::Column::Status, Expr::value(status.as_str()));
            if status == UserStatus::Approved {
                update = update
                    .col_expr(user::Column::ApprovedAt, Expr::value(now_millis()))
                    .col_expr(user::Column::ApprovedBy, Expr::value(changes.approved_by));
            } else {
                // Leaving `approved` ends every session: tokens from before a disable must not
                // work again after a re-enable. (A user who is not approved has no valid
                // session, so bumping on any non-approved status is the same thing.)
                update = update.col_expr(
                    user::Column::SessionVersion,
                    Expr::col(user::Column::SessionVersion).add(1),
                );
            }
        }
        let result = update
            .exec(&txn)
            .await
            .map_err(|e| map_db_error(e, ENTITY, "email"))?;
        if result.rows_affected == 0 {
            return Err(CoreError::NotFound { entity: ENTITY });
        }
        ensure_an_admin_remains(&txn).await?;
        let updated = fetch(&txn, id).await?;
        txn.commit().await.map_err(db_error)?;
        Ok(updated)
    }

    /// Deletes a user (their API keys and revoked tokens go with them), refusing to delete
    /// the last approved admin.
    pub async fn delete(&self, id: i32) -> Result<(), CoreError> {
        let txn = self.begin().await?;
        let result = user::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(CoreError::NotFound { entity: ENTITY });
        }
        ensure_an_admin_remains(&txn).await?;
        txn.commit().await.map_err(db_error)
    }

    /// Ends every session of a user by bumping their session version; returns the new one.
    pub async fn bump_session_version(&self, id: i32) -> Result<i32, CoreError> {
        let conn = self.db.connection();
        let result = user::Entity::update_many()
            .col_expr(
                user::Column::SessionVersion,
                Expr::col(user::Column::SessionVersion).add(1),
            )
            .filter(user::Column::Id.eq(id))
            .exec(conn)
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(CoreError::NotFound { entity: ENTITY });
        }
        Ok(fetch(conn, id).await?.session_version)
    }

    async fn begin(&self) -> Result<DatabaseTransaction, CoreError> {
        let txn = self.db.connection().begin().await.map_err(db_error)?;
        if self.db.backend() == Backend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({USER_RULES_LOCK})"))
                .await
                .map_err(db_error)?;
        }
        Ok(txn)
    }
}

async fn ensure_an_admin_remains(txn: &DatabaseTransaction) -> Result<(), CoreError> {
    let admins = user::Entity::find()
        .filter(user::Column::IsAdmin.eq(true))
        .filter(user::Column::Status.eq(UserStatus::Approved.as_str()))
        .count(txn)
        .await
        .map_err(db_error)?;
    if admins == 0 {
        // Dropping the transaction rolls it back.
        return Err(CoreError::RuleViolation(LAST_ADMIN.into()));
    }
    Ok(())
}

fn db_error(error: sea_orm::DbErr) -> CoreError {
    map_db_error(error, ENTITY, "id")
}
