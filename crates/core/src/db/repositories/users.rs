use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::user;
use crate::domain::{Email, User, UserStatus};
use crate::time::now_millis;

pub(super) const ENTITY: &str = "user";

impl TryFrom<user::Model> for User {
    type Error = CoreError;

    fn try_from(row: user::Model) -> Result<Self, CoreError> {
        Ok(Self {
            id: row.id,
            email: Email::from_stored(row.email),
            password_hash: row.password_hash,
            is_admin: row.is_admin,
            status: UserStatus::parse(&row.status)?,
            session_version: row.session_version,
            created_at: row.created_at,
            approved_at: row.approved_at,
            approved_by: row.approved_by,
        })
    }
}

pub struct NewUser {
    pub email: Email,
    pub password_hash: String,
    pub is_admin: bool,
    pub status: UserStatus,
    pub approved_by: Option<i32>,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    pub email: Option<Email>,
    pub password_hash: Option<String>,
    pub is_admin: Option<bool>,
    pub status: Option<UserStatus>,
    /// Who approved, recorded when `status` becomes approved.
    pub approved_by: Option<i32>,
}

impl UserChanges {
    /// Only the admin flag.
    pub fn admin(is_admin: bool) -> Self {
        Self {
            is_admin: Some(is_admin),
            ..Self::default()
        }
    }

    /// Only the status.
    pub fn status(status: UserStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Only the password hash.
    pub fn password_hash(hash: String) -> Self {
        Self {
            password_hash: Some(hash),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.password_hash.is_none()
            && self.is_admin.is_none()
            && self.status.is_none()
    }
}

#[derive(Clone)]
pub struct UserRepository {
    pub(super) db: Database,
}

impl UserRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create(&self, new: NewUser) -> Result<User, CoreError> {
        let now = now_millis();
        let approved = new.status == UserStatus::Approved;
        let row = user::ActiveModel {
            email: Set(new.email.as_str().to_string()),
            password_hash: Set(new.password_hash),
            is_admin: Set(new.is_admin),
            status: Set(new.status.as_str().to_string()),
            session_version: Set(0),
            created_at: Set(now),
            approved_at: Set(approved.then_some(now)),
            approved_by: Set(new.approved_by.filter(|_| approved)),
            ..Default::default()
        };
        let inserted = row
            .insert(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "email"))?;
        User::try_from(inserted)
    }

    pub async fn find_by_id(&self, id: i32) -> Result<User, CoreError> {
        user::Entity::find_by_id(id)
            .one(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))?
            .ok_or(CoreError::NotFound { entity: ENTITY })
            .and_then(User::try_from)
    }

    pub async fn find_by_email(&self, email: &Email) -> Result<Option<User>, CoreError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "email"))?
            .map(User::try_from)
            .transpose()
    }

    /// Users, newest first, optionally only those with one status.
    pub async fn list(&self, status: Option<UserStatus>) -> Result<Vec<User>, CoreError> {
        let mut query = user::Entity::find();
        if let Some(status) = status {
            query = query.filter(user::Column::Status.eq(status.as_str()));
        }
        query
            .order_by_desc(user::Column::CreatedAt)
            .order_by_desc(user::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    /// Every stored e-mail address (for the look-alike check at registration; no other column
    /// is read).
    pub async fn emails(&self) -> Result<Vec<Email>, CoreError> {
        use sea_orm::QuerySelect;
        let rows: Vec<String> = user::Entity::find()
            .select_only()
            .column(user::Column::Email)
            .into_tuple()
            .all(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "email"))?;
        Ok(rows.into_iter().map(Email::from_stored).collect())
    }

    /// Every account, whatever its status.
    pub async fn count(&self) -> Result<u64, CoreError> {
        user::Entity::find()
            .count(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))
    }

    pub async fn count_with_status(&self, status: UserStatus) -> Result<u64, CoreError> {
        user::Entity::find()
            .filter(user::Column::Status.eq(status.as_str()))
            .count(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))
    }
}

/// Fetches one user row inside any connection or transaction.
pub(super) async fn fetch(
    conn: &impl sea_orm::ConnectionTrait,
    id: i32,
) -> Result<User, CoreError> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await
        .map_err(|e| map_db_error(e, ENTITY, "id"))?
        .ok_or(CoreError::NotFound { entity: ENTITY })
        .and_then(User::try_from)
}
