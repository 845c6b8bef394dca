//! The states of a download job.

use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DownloadStatus {
    /// Waiting for a free download slot.
    Queued,
    Downloading,
    /// Stopped by a user; partial data kept; resumes only when asked.
    Paused,
    Completed,
    /// Stopped by an error; partial data kept so a resume continues it.
    Failed,
    /// Stopped by a user; partial data removed.
    Cancelled,
}

impl DownloadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Downloading => "downloading",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        Ok(match raw {
            "queued" => Self::Queued,
            "downloading" => Self::Downloading,
            "paused" => Self::Paused,
            "completed" => Self::Completed,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            other => {
                return Err(CoreError::CorruptRecord(format!(
                    "unknown download status {other:?}"
                )));
            }
        })
    }

    /// Running or about to run: the job owns the repository's partial data.
    pub fn is_running(self) -> bool {
        matches!(self, Self::Queued | Self::Downloading)
    }

    /// Not finished: a new request for the same repository returns this job.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Downloading | Self::Paused)
    }

    pub const ALL: [Self; 6] = [
        Self::Queued,
        Self::Downloading,
        Self::Paused,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];
}
