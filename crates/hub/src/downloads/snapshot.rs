//! What a download looks like to its watchers at one moment.

use super::DownloadStatus;
use mlx_manager_core::db::repositories::DownloadRecord;

#[derive(Debug, Clone, PartialEq)]
pub struct DownloadSnapshot {
    pub id: i32,
    pub model_id: String,
    pub revision: String,
    pub commit: Option<String>,
    pub status: DownloadStatus,
    pub downloaded_bytes: u64,
    pub total_bytes: u64,
    pub bytes_per_sec: f64,
    pub eta_secs: Option<u64>,
    pub current_file: Option<String>,
    pub files_done: u32,
    pub files_total: u32,
    pub error: Option<String>,
    /// The user who asked for it; `None` once that user is deleted.
    pub requested_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl From<DownloadRecord> for DownloadSnapshot {
    fn from(record: DownloadRecord) -> Self {
        Self {
            id: record.id,
            model_id: record.repo_id,
            revision: record.revision,
            commit: record.commit_sha,
            status: record.status,
            downloaded_bytes: record.downloaded_bytes,
            total_bytes: record.total_bytes,
            bytes_per_sec: 0.0,
            eta_secs: None,
            current_file: None,
            files_done: record.files_done,
            files_total: record.files_total,
            error: record.error,
            requested_by: record.requested_by,
            created_at: record.created_at,
            updated_at: record.updated_at,
            finished_at: record.finished_at,
        }
    }
}
