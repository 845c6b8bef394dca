//! Persisted download jobs for the server: one open job per repository, a bounded number running
//! at once, progress for any number of watchers, and resumption after a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;

use super::activity::{ActivityCounters, DownloadActivity};
use super::job::{self, JobHandle, StopReason};
use super::{DownloadSnapshot, DownloadStatus, Downloader};
use crate::HubError;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{DownloadRecord, DownloadRepository};
use mlx_manager_core::domain::{RepoId, Revision};
use mlx_manager_core::settings::DownloadSettings;

const RECENT_LIMIT: u64 = 50;

#[derive(Clone)]
pub struct DownloadManager {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub repository: DownloadRepository,
    pub downloader: Downloader,
    pub slots: Arc<Semaphore>,
    pub tasks: TaskTracker,
    jobs: Mutex<HashMap<i32, JobHandle>>,
    /// Serialises "find the open job or create one" so two requests never start two jobs.
    requests: tokio::sync::Mutex<()>,
    offline: bool,
    pub activity: Arc<ActivityCounters>,
}

impl Inner {
    pub(crate) fn forget(&self, id: i32) {
        self.jobs.lock().expect("jobs lock").remove(&id);
    }
}

impl DownloadManager {
    /// Builds the manager and resumes the jobs that were running when the server last stopped
    /// (paused ones stay paused).
    pub async fn start(
        db: Database,
        downloader: Downloader,
        settings: &DownloadSettings,
        offline: bool,
    ) -> Result<Self, HubError> {
        let manager = Self {
            inner: Arc::new(Inner {
                repository: DownloadRepository::new(db),
                downloader,
                slots: Arc::new(Semaphore::new(settings.concurrent_jobs)),
                tasks: TaskTracker::new(),
                jobs: Mutex::new(HashMap::new()),
                requests: tokio::sync::Mutex::new(()),
                offline,
                activity: Arc::default(),
            }),
        };
        if !manager.inner.offline {
            // The HTTP client loads the system's CA certificates when built: off the executor,
            // and after startup rather than during it.
            let client = manager.inner.downloader.client.clone();
            tokio::task::spawn_blocking(move || client.warm_up());
            let unfinished = manager
                .inner
                .repository
                .with_status(&[DownloadStatus::Queued, DownloadStatus::Downloading])
                .await?;
            for record in unfinished {
                tracing::info!(download = record.id, model = %record.repo_id, "resuming download");
                manager.launch(record);
            }
        }
        Ok(manager)
    }

    fn launch(&self, record: DownloadRecord) -> DownloadSnapshot {
        let id = record.id;
        let handle = job::spawn(&self.inner, record);
        let snapshot = handle.events.borrow().clone();
        self.inner
            .jobs
            .lock()
            .expect("jobs lock")
            .insert(id, handle);
        snapshot
    }

    /// Bytes fetched since the server started and the jobs transferring now.
    pub fn activity(&self) -> DownloadActivity {
        self.inner.activity.read()
    }

    /// Starts downloading a repository, or returns its open job. `created` tells which.
    pub async fn request(
        &self,
        repo_id: &RepoId,
        revision: &Revision,
        requested_by: Option<i32>,
    ) -> Result<(DownloadSnapshot, bool), HubError> {
        self.check_online()?;
        let _serial = self.inner.requests.lock().await;
        if let Some(open) = self.inner.repository.open_for_repo(repo_id).await? {
            return Ok((self.snapshot_of(open), false));
        }
        // Fail fast on a name or revision the hub does not know, or a gated repo.
        self.inner
            .downloader
            .client
            .resolve_revision(repo_id, revision)
            .await?;
        let record = self
            .inner
            .repository
            .create(repo_id, revision.as_str(), requested_by)
            .await?;
        Ok((self.launch(record), true))
    }

    fn snapshot_of(&self, record: DownloadRecord) -> DownloadSnapshot {
        match self.inner.jobs.lock().expect("jobs lock").get(&record.id) {
            Some(handle) => handle.events.borrow().clone(),
            None => record.into(),
        }
    }

    pub async fn get(&self, id: i32) -> Result<DownloadSnapshot, HubError> {
        Ok(self.snapshot_of(self.inner.repository.get(id).await?))
    }

    /// Who asked for a download (`None`: the user was deleted); not found if it does not exist.
    pub async fn requested_by(&self, id: i32) -> Result<Option<i32>, HubError> {
        Ok(self.inner.repository.get(id).await?.requested_by)
    }

    /// Downloads need the hub: refused in offline mode.
    fn check_online(&self) -> Result<(), HubError> {
        if self.inner.offline {
            return Err(HubError::Unavailable {
                service: crate::HUB_NAME,
                message: "offline mode (HF_HUB_OFFLINE=1): downloads are disabled".into(),
            });
        }
        Ok(())
    }

    /// Open jobs and the most recent finished ones, newest first.
    pub async fn list(&self) -> Result<Vec<DownloadSnapshot>, HubError> {
        let mut records = self.inner.repository.recent(RECENT_LIMIT).await?;
        let open = self
            .inner
            .repository
            .with_status(&[
                DownloadStatus::Queued,
                DownloadStatus::Downloading,
                DownloadStatus::Paused,
            ])
            .await?;
        for record in open {
            if !records.iter().any(|r| r.id == record.id) {
                records.push(record);
            }
        }
        records.sort_by_key(|r| std::cmp::Reverse(r.id));
        Ok(records.into_iter().map(|r| self.snapshot_of(r)).collect())
    }

    /// Live progress of a running job; `None` when it is not running (its record is final).
    pub fn subscribe(&self, id: i32) -> Option<watch::Receiver<DownloadSnapshot>> {
        self.inner
            .jobs
            .lock()
            .expect("jobs lock")
            .get(&id)
            .map(|h| h.events.clone())
    }

    /// True while a job of this repository runs (it owns the repository's files).
    pub fn is_downloading(&self, repo_id: &RepoId) -> bool {
        self.inner
            .jobs
            .lock()
            .expect("jobs lock")
            .values()
            .any(|h| h.repo_id == repo_id.as_str())
    }

    /// True while the repository has a queued, running or paused download.
    pub async fn has_open_job(&self, repo_id: &RepoId) -> Result<bool, HubError> {
        Ok(self
            .inner
            .repository
            .open_for_repo(repo_id)
            .await?
            .is_some())
    }

    pub async fn pause(&self, id: i32) -> Result<DownloadSnapshot, HubError> {
        let record = self.inner.repository.get(id).await?;
        match self.stop_running(id, StopReason::Pause).await {
            Some(snapshot) => Ok(snapshot),
            None => Err(HubError::Conflict(format!(
                "the download is {}, not running",
                record.status.as_str()
            ))),
        }
    }

    /// Restarts a paused or failed job from its partial data. A missing job is not found, in
    /// offline mode too.
    pub async fn resume(&self, id: i32) -> Result<DownloadSnapshot, HubError> {
        let _serial = self.inner.requests.lock().await;
        let record = self.inner.repository.get(id).await?;
        self.check_online()?;
        if !matches!(
            record.status,
            DownloadStatus::Paused | DownloadStatus::Failed
        ) {
            return Err(HubError::Conflict(format!(
                "only a paused or failed download can be resumed; this one is {}",
                record.status.as_str()
            )));
        }
        let repo_id = RepoId::parse(&record.repo_id)?;
        if let Some(open) = self.inner.repository.open_for_repo(&repo_id).await?
            && open.id != id
        {
            return Err(HubError::Conflict(format!(
                "download {} of this model is already open",
                open.id
            )));
        }
        let record = self
            .inner
            .repository
            .set_status(id, DownloadStatus::Queued, None)
            .await?;
        Ok(self.launch(record))
    }

    /// Stops a job and removes its partial data (blobs other snapshots link are kept).
    pub async fn cancel(&self, id: i32) -> Result<DownloadSnapshot, HubError> {
        if let Some(snapshot) = self.stop_running(id, StopReason::Cancel).await {
            return Ok(snapshot);
        }
        let _serial = self.inner.requests.lock().await;
        let record = self.inner.repository.get(id).await?;
        if !matches!(
            record.status,
            DownloadStatus::Paused | DownloadStatus::Failed
        ) {
            return Err(HubError::Conflict(format!(
                "the download is {} and cannot be cancelled",
                record.status.as_str()
            )));
        }
        let error = job::remove_partial_data(&self.inner, &record.repo_id)
            .await
            .err();
        let record = self
            .inner
            .repository
            .set_status(id, DownloadStatus::Cancelled, error)
            .await?;
        Ok(record.into())
    }

    /// Stops a running job and waits for its final state; `None` if it was not running.
    async fn stop_running(&self, id: i32, reason: StopReason) -> Option<DownloadSnapshot> {
        let mut events = {
            let jobs = self.inner.jobs.lock().expect("jobs lock");
            let handle = jobs.get(&id)?;
            handle.stop_with(reason);
            handle.events.clone()
        };
        let _ = events.wait_for(|s| !s.status.is_running()).await;
        let last = events.borrow().clone();
        Some(last)
    }

    /// Stops every job for a server shutdown; they resume at the next start.
    pub async fn shutdown(&self, grace: Duration) {
        for handle in self.inner.jobs.lock().expect("jobs lock").values() {
            handle.stop_with(StopReason::Shutdown);
        }
        self.inner.tasks.close();
        if tokio::time::timeout(grace, self.inner.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("downloads did not stop in time");
        }
    }
}
