//! Encrypted secrets by name (the encryption is [`crate::secrets`]'s).

use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use crate::CoreError;
use crate::db::Database;
use crate::db::entities::stored_secret;
use crate::time::now_millis;

/// A sealed secret as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

#[derive(Clone)]
pub struct StoredSecretRepository {
    db: Database,
}

impl StoredSecretRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn get(&self, name: &str) -> Result<Option<SealedSecret>, CoreError> {
        Ok(stored_secret::Entity::find_by_id(name)
            .one(self.db.connection())
            .await
            .map_err(CoreError::Database)?
            .map(|row| SealedSecret {
                nonce: row.nonce,
                ciphertext: row.ciphertext,
            }))
    }

    pub async fn put(
        &self,
        name: &str,
        sealed: SealedSecret,
        by: Option<i32>,
    ) -> Result<(), CoreError> {
        let row = stored_secret::ActiveModel {
            name: Set(name.to_string()),
            nonce: Set(sealed.nonce),
            ciphertext: Set(sealed.ciphertext),
            updated_at: Set(now_millis()),
            updated_by: Set(by),
        };
        let upsert = OnConflict::column(stored_secret::Column::Name)
            .update_columns([
                stored_secret::Column::Nonce,
                stored_secret::Column::Ciphertext,
                stored_secret::Column::UpdatedAt,
                stored_secret::Column::UpdatedBy,
            ])
            .to_owned();
        stored_secret::Entity::insert(row)
            .on_conflict(upsert)
            .exec_without_returning(self.db.connection())
            .await
            .map_err(CoreError::Database)?;
        Ok(())
    }

    /// Returns whether there was one.
    pub async fn delete(&self, name: &str) -> Result<bool, CoreError> {
        Ok(stored_secret::Entity::delete_by_id(name)
            .exec(self.db.connection())
            .await
            .map_err(CoreError::Database)?
            .rows_affected
            > 0)
    }
}
