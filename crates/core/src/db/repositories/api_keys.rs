use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::api_key;
use crate::domain::ApiKey;
use crate::time::now_millis;

const ENTITY: &str = "API key";
/// `last_used_at` is refreshed at most this often, so using a key is not a write per request.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

impl From<api_key::Model> for ApiKey {
    fn from(row: api_key::Model) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            name: row.name,
            display_prefix: row.display_prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        }
    }
}

pub struct NewApiKeyRecord {
    pub user_id: i32,
    pub name: String,
    pub display_prefix: String,
    pub key_hash: String,
    pub expires_at: Option<i64>,
}

#[derive(Clone)]
pub struct ApiKeyRepository {
    db: Database,
}

impl ApiKeyRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create(&self, new: NewApiKeyRecord) -> Result<ApiKey, CoreError> {
        let row = api_key::ActiveModel {
            user_id: Set(new.user_id),
            name: Set(new.name),
            display_prefix: Set(new.display_prefix),
            key_hash: Set(new.key_hash),
            created_at: Set(now_millis()),
            last_used_at: Set(None),
            expires_at: Set(new.expires_at),
            ..Default::default()
        };
        row.insert(self.db.connection())
            .await
            .map(ApiKey::from)
            .map_err(|e| map_db_error(e, ENTITY, "key"))
    }

    /// A user's keys, newest first.
    pub async fn list_for_user(&self, user_id: i32) -> Result<Vec<ApiKey>, CoreError> {
        api_key::Entity::find()
            .filter(api_key::Column::UserId.eq(user_id))
            .order_by_desc(api_key::Column::CreatedAt)
            .order_by_desc(api_key::Column::Id)
            .all(self.db.connection())
            .await
            .map(|rows| rows.into_iter().map(ApiKey::from).collect())
            .map_err(|e| map_db_error(e, ENTITY, "id"))
    }

    /// The unexpired key with this hash, noting that it was used.
    pub async fn find_usable_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>, CoreError> {
        let now = now_millis();
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .one(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "key"))?
            .map(ApiKey::from)
            .filter(|key| key.expires_at.is_none_or(|expiry| expiry > now));
        if let Some(key) = &found
            && key
                .last_used_at
                .is_none_or(|used| now - used >= LAST_USED_RESOLUTION_MS)
        {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                .filter(api_key::Column::Id.eq(key.id))
                .exec(self.db.connection())
                .await
                .map_err(|e| map_db_error(e, ENTITY, "id"))?;
        }
        Ok(found)
    }

    /// How many keys a user has (expired ones included: they still take a place until revoked).
    pub async fn count_for_user(&self, user_id: i32) -> Result<u64, CoreError> {
        use sea_orm::PaginatorTrait;
        api_key::Entity::find()
            .filter(api_key::Column::UserId.eq(user_id))
            .count(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))
    }

    /// Deletes every key of a user; returns how many there were.
    pub async fn delete_all_for_user(&self, user_id: i32) -> Result<u64, CoreError> {
        api_key::Entity::delete_many()
            .filter(api_key::Column::UserId.eq(user_id))
            .exec(self.db.connection())
            .await
            .map(|result| result.rows_affected)
            .map_err(|e| map_db_error(e, ENTITY, "id"))
    }

    /// Deletes one of a user's keys; another user's key is "not found".
    pub async fn delete_for_user(&self, user_id: i32, id: i32) -> Result<(), CoreError> {
        let result = api_key::Entity::delete_many()
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::UserId.eq(user_id))
            .exec(self.db.connection())
            .await
            .map_err(|e| map_db_error(e, ENTITY, "id"))?;
        match result.rows_affected {
            0 => Err(CoreError::NotFound { entity: ENTITY }),
            _ => Ok(()),
        }
    }
}
