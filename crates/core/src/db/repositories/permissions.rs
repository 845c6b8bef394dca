use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::permission;
use crate::domain::{Permission, Permissions};
use crate::time::now_millis;

const ENTITY: &str = "permission";

fn db_error(error: sea_orm::DbErr) -> CoreError {
    map_db_error(error, ENTITY, "name")
}

/// The permissions admins set for members, one row each (defaults for those without one).
#[derive(Clone)]
pub struct PermissionRepository {
    db: Database,
}

impl PermissionRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn get(&self) -> Result<Permissions, CoreError> {
        let rows = permission::Entity::find()
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        let mut permissions = Permissions::default();
        // Rows of permissions this version does not know are left alone.
        for row in rows {
            if let Some(known) = Permission::parse(&row.name) {
                permissions.set(known, row.granted);
            }
        }
        Ok(permissions)
    }

    /// Stores every permission at once; `by` is the admin who set them.
    pub async fn set(
        &self,
        permissions: &Permissions,
        by: Option<i32>,
    ) -> Result<Permissions, CoreError> {
        let now = now_millis();
        let rows = Permission::ALL.map(|p| permission::ActiveModel {
            name: Set(p.name().to_string()),
            granted: Set(permissions.granted(p)),
            updated_at: Set(now),
            updated_by: Set(by),
        });
        let upsert = OnConflict::column(permission::Column::Name)
            .update_columns([
                permission::Column::Granted,
                permission::Column::UpdatedAt,
                permission::Column::UpdatedBy,
            ])
            .to_owned();
        // One statement: every permission changes, or none does.
        permission::Entity::insert_many(rows)
            .on_conflict(upsert)
            .exec_without_returning(self.db.connection())
            .await
            .map_err(db_error)?;
        self.get().await
    }
}
