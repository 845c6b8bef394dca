use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};

use super::map_db_error;
use crate::db::Database;
use crate::db::entities::pool_setting;
use crate::domain::profile::KeepAlive;
use crate::domain::{PoolSettings, PoolSettingsDraft};
use crate::time::now_millis;
use crate::{CoreError, InvalidField};

const ENTITY: &str = "pool setting";

fn db_error(error: sea_orm::DbErr) -> CoreError {
    map_db_error(error, ENTITY, "name")
}

const MEMORY_LIMIT: &str = "memory_limit_bytes";
const MAX_LOADED: &str = "max_loaded_models";
const KEEP_ALIVE: &str = "default_keep_alive_secs";
const MAX_QUEUED: &str = "max_queued_requests";
const QUEUE_TIMEOUT: &str = "queue_timeout_secs";
const MAX_BATCH: &str = "max_batch_size";

/// The pool's settings, one row per field (defaults for those without one).
#[derive(Clone)]
pub struct PoolSettingsRepository {
    db: Database,
}

impl PoolSettingsRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The stored settings; a stored value that breaks the rules (edited by hand) is a
    /// [`CoreError::CorruptRecord`].
    pub async fn get(&self) -> Result<PoolSettings, CoreError> {
        let rows = pool_setting::Entity::find()
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        let defaults = PoolSettings::default();
        let mut draft = PoolSettingsDraft {
            memory_limit_bytes: defaults.memory_limit_bytes.map(|b| b as i64),
            max_loaded_models: defaults.max_loaded_models.into(),
            default_keep_alive_secs: defaults.default_keep_alive.as_secs(),
            max_queued_requests: defaults.max_queued_requests.into(),
            max_batch_size: defaults.max_batch_size.into(),
            queue_timeout_secs: defaults.queue_timeout_secs.into(),
        };
        for row in rows {
            let value = row.value;
            let required = |field: &'static str| {
                value.ok_or_else(|| {
                    CoreError::CorruptRecord(format!("pool setting {field} is null"))
                })
            };
            match row.name.as_str() {
                MEMORY_LIMIT => draft.memory_limit_bytes = value,
                MAX_LOADED => draft.max_loaded_models = required(MAX_LOADED)?,
                KEEP_ALIVE => draft.default_keep_alive_secs = required(KEEP_ALIVE)?,
                MAX_QUEUED => draft.max_queued_requests = required(MAX_QUEUED)?,
                QUEUE_TIMEOUT => draft.queue_timeout_secs = required(QUEUE_TIMEOUT)?,
                MAX_BATCH => draft.max_batch_size = required(MAX_BATCH)?,
                // Settings of a later version are left alone.
                _ => {}
            }
        }
        // The stored limit was checked against this machine's memory when it was set; the
        // database may have moved to a smaller machine since, so only its lower bound applies.
        PoolSettings::parse(draft, u64::MAX).map_err(|error| {
            let fields = match error {
                CoreError::InvalidFields(fields) => fields,
                other => vec![InvalidField::new("pool_settings", other.to_string())],
            };
            CoreError::CorruptRecord(format!(
                "stored pool settings break the rules: {}",
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })
    }

    /// Stores every setting at once; `by` is the admin who set them.
    pub async fn set(
        &self,
        settings: &PoolSettings,
        by: Option<i32>,
    ) -> Result<PoolSettings, CoreError> {
        let now = now_millis();
        let values: [(&str, Option<i64>); 6] = [
            (MEMORY_LIMIT, settings.memory_limit_bytes.map(|b| b as i64)),
            (MAX_LOADED, Some(settings.max_loaded_models.into())),
            (
                KEEP_ALIVE,
                Some(KeepAlive::as_secs(settings.default_keep_alive)),
            ),
            (MAX_QUEUED, Some(settings.max_queued_requests.into())),
            (QUEUE_TIMEOUT, Some(settings.queue_timeout_secs.into())),
            (MAX_BATCH, Some(settings.max_batch_size.into())),
        ];
        let rows = values.map(|(name, value)| pool_setting::ActiveModel {
            name: Set(name.to_string()),
            value: Set(value),
            updated_at: Set(now),
            updated_by: Set(by),
        });
        let upsert = OnConflict::column(pool_setting::Column::Name)
            .update_columns([
                pool_setting::Column::Value,
                pool_setting::Column::UpdatedAt,
                pool_setting::Column::UpdatedBy,
            ])
            .to_owned();
        pool_setting::Entity::insert_many(rows)
            .on_conflict(upsert)
            .exec(self.db.connection())
            .await
            .map_err(db_error)?;
        self.get().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn settings_default_until_set_and_then_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::Settings::default_database_url(dir.path());
        let db = Database::connect(&url.into()).await.unwrap();
        let repository = PoolSettingsRepository::new(db);
        assert_eq!(repository.get().await.unwrap(), PoolSettings::default());
        let settings = PoolSettings {
            memory_limit_bytes: Some(1 << 30),
            max_loaded_models: 1,
            default_keep_alive: KeepAlive::Forever,
            max_queued_requests: 0,
            max_batch_size: 3,
            queue_timeout_secs: 5,
        };
        assert_eq!(repository.set(&settings, None).await.unwrap(), settings);
        let back_to_default = PoolSettings {
            memory_limit_bytes: None,
            ..settings
        };
        assert_eq!(
            repository.set(&back_to_default, None).await.unwrap(),
            back_to_default
        );
    }
}
