use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::CoreError;
use crate::db::Database;
use crate::db::entities::download;
use crate::domain::{DownloadStatus, RepoId};
use crate::time::now_millis;

const ENTITY: &str = "download";

/// A download job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadRecord {
    pub id: i32,
    pub repo_id: String,
    pub revision: String,
    pub commit_sha: Option<String>,
    pub status: DownloadStatus,
    pub downloaded_bytes: u64,
    pub total_bytes: u64,
    pub files_done: u32,
    pub files_total: u32,
    pub error: Option<String>,
    pub requested_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl TryFrom<download::Model> for DownloadRecord {
    type Error = CoreError;

    fn try_from(row: download::Model) -> Result<Self, CoreError> {
        Ok(Self {
            status: DownloadStatus::parse(&row.status)?,
            id: row.id,
            repo_id: row.repo_id,
            revision: row.revision,
            commit_sha: row.commit_sha,
            downloaded_bytes: row.downloaded_bytes.max(0) as u64,
            total_bytes: row.total_bytes.max(0) as u64,
            files_done: row.files_done.max(0) as u32,
            files_total: row.files_total.max(0) as u32,
            error: row.error,
            requested_by: row.requested_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

/// Progress numbers written while a job runs.
#[derive(Debug, Clone, Default)]
pub struct DownloadProgressUpdate {
    pub commit_sha: Option<String>,
    pub downloaded_bytes: u64,
    pub total_bytes: u64,
    pub files_done: u32,
    pub files_total: u32,
}

#[derive(Clone)]
pub struct DownloadRepository {
    db: Database,
}

fn db_error(error: sea_orm::DbErr) -> CoreError {
    super::map_db_error(error, ENTITY, "id")
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl DownloadRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create(
        &self,
        repo_id: &RepoId,
        revision: &str,
        requested_by: Option<i32>,
    ) -> Result<DownloadRecord, CoreError> {
        let now = now_millis();
        let row = download::ActiveModel {
            repo_id: Set(repo_id.to_string()),
            revision: Set(revision.to_string()),
            commit_sha: Set(None),
            status: Set(DownloadStatus::Queued.as_str().to_string()),
            downloaded_bytes: Set(0),
            total_bytes: Set(0),
            files_done: Set(0),
            files_total: Set(0),
            error: Set(None),
            requested_by: Set(requested_by),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
            ..Default::default()
        };
        row.insert(self.db.connection())
            .await
            .map_err(db_error)?
            .try_into()
    }

    pub async fn get(&self, id: i32) -> Result<DownloadRecord, CoreError> {
        download::Entity::find_by_id(id)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .ok_or(CoreError::NotFound { entity: ENTITY })?
            .try_into()
    }

    /// Jobs in any of the given states, oldest first.
    pub async fn with_status(
        &self,
        statuses: &[DownloadStatus],
    ) -> Result<Vec<DownloadRecord>, CoreError> {
        download::Entity::find()
            .filter(download::Column::Status.is_in(statuses.iter().map(|s| s.as_str())))
            .order_by_asc(download::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The unfinished job of a repository, if any.
    pub async fn open_for_repo(
        &self,
        repo_id: &RepoId,
    ) -> Result<Option<DownloadRecord>, CoreError> {
        let open: Vec<&str> = DownloadStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        download::Entity::find()
            .filter(download::Column::RepoId.eq(repo_id.as_str()))
            .filter(download::Column::Status.is_in(open))
            .order_by_desc(download::Column::Id)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .map(TryInto::try_into)
            .transpose()
    }

    /// Newest first.
    pub async fn recent(&self, limit: u64) -> Result<Vec<DownloadRecord>, CoreError> {
        download::Entity::find()
            .order_by_desc(download::Column::Id)
            .limit(limit)
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    pub async fn set_status(
        &self,
        id: i32,
        status: DownloadStatus,
        error: Option<String>,
    ) -> Result<DownloadRecord, CoreError> {
        let row = self.find_row(id).await?;
        let mut active = row.into_active_model();
        let now = now_millis();
        active.status = Set(status.as_str().to_string());
        active.error = Set(error);
        active.updated_at = Set(now);
        active.finished_at = Set(matches!(
            status,
            DownloadStatus::Completed | DownloadStatus::Cancelled | DownloadStatus::Failed
        )
        .then_some(now));
        active
            .update(self.db.connection())
            .await
            .map_err(db_error)?
            .try_into()
    }

    pub async fn save_progress(
        &self,
        id: i32,
        update: &DownloadProgressUpdate,
    ) -> Result<(), CoreError> {
        let row = self.find_row(id).await?;
        let mut active = row.into_active_model();
        if update.commit_sha.is_some() {
            active.commit_sha = Set(update.commit_sha.clone());
        }
        active.downloaded_bytes = Set(as_i64(update.downloaded_bytes));
        active.total_bytes = Set(as_i64(update.total_bytes));
        active.files_done = Set(update.files_done as i32);
        active.files_total = Set(update.files_total as i32);
        active.updated_at = Set(now_millis());
        active
            .update(self.db.connection())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn find_row(&self, id: i32) -> Result<download::Model, CoreError> {
        download::Entity::find_by_id(id)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .ok_or(CoreError::NotFound { entity: ENTITY })
    }
}
