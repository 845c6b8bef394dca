//! The task behind one download job: wait for a slot, run the downloader, publish progress to
//! watchers (twice a second and at every state change) and to the database (every few seconds
//! and at every state change), and record how it ended.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::manager::Inner;
use super::progress::{Counters, RateMeter, eta_secs};
use super::{DownloadSnapshot, DownloadStatus, RunError};
use crate::HubError;
use mlx_manager_core::db::repositories::{DownloadProgressUpdate, DownloadRecord};
use mlx_manager_core::domain::{RepoId, Revision};
use mlx_manager_core::time::now_millis;

const PUBLISH_EVERY: Duration = Duration::from_millis(500);
const PERSIST_EVERY: Duration = Duration::from_secs(5);
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Why a job was told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    Pause,
    Cancel,
    /// The server is shutting down: the job stays `downloading` and resumes at the next start.
    Shutdown,
}

/// The handle the manager keeps while a job runs.
pub(crate) struct JobHandle {
    pub repo_id: String,
    pub stop: CancellationToken,
    pub reason: Arc<Mutex<Option<StopReason>>>,
    pub events: watch::Receiver<DownloadSnapshot>,
}

impl JobHandle {
    pub fn stop_with(&self, reason: StopReason) {
        self.reason
            .lock()
            .expect("reason lock")
            .get_or_insert(reason);
        self.stop.cancel();
    }
}

/// Starts the task of a job whose record is `queued` (or being resumed).
pub(crate) fn spawn(inner: &Arc<Inner>, record: DownloadRecord) -> JobHandle {
    let mut first = DownloadSnapshot::from(record.clone());
    first.status = DownloadStatus::Queued;
    first.error = None;
    let (sender, receiver) = watch::channel(first);
    let handle = JobHandle {
        repo_id: record.repo_id.clone(),
        stop: CancellationToken::new(),
        reason: Arc::new(Mutex::new(None)),
        events: receiver,
    };
    let job = Job {
        inner: inner.clone(),
        record,
        stop: handle.stop.clone(),
        reason: handle.reason.clone(),
        events: sender,
        counters: Arc::new(Counters::counting_into(inner.activity.clone())),
    };
    inner.tasks.spawn(job.run());
    handle
}

struct Job {
    inner: Arc<Inner>,
    record: DownloadRecord,
    stop: CancellationToken,
    reason: Arc<Mutex<Option<StopReason>>>,
    events: watch::Sender<DownloadSnapshot>,
    counters: Arc<Counters>,
}

impl Job {
    async fn run(self) {
        let id = self.record.id;
        let outcome = self.download().await;
        let reason = *self.reason.lock().expect("reason lock");
        let (status, error) = match (outcome, reason) {
            (Ok(()), _) => (DownloadStatus::Completed, None),
            (Err(RunError::Stopped), Some(StopReason::Pause)) => (DownloadStatus::Paused, None),
            (Err(RunError::Stopped), Some(StopReason::Cancel)) => (
                DownloadStatus::Cancelled,
                self.remove_partial_data().await.err(),
            ),
            (Err(RunError::Stopped), _) => (DownloadStatus::Downloading, None),
            (Err(RunError::Failed(error)), _) => {
                tracing::warn!(download = id, model = %self.record.repo_id, %error, "download failed");
                (DownloadStatus::Failed, Some(error.to_string()))
            }
        };
        self.persist_progress().await;
        let mut last = self.live_snapshot(0.0);
        match self
            .inner
            .repository
            .set_status(id, status, error.clone())
            .await
        {
            Ok(record) => last = DownloadSnapshot::from(record),
            Err(e) => {
                tracing::error!(download = id, error = %e, "cannot record the end of a download");
                last.status = status;
                last.error = error;
            }
        }
        if status == DownloadStatus::Completed {
            tracing::info!(download = id, model = %self.record.repo_id, bytes = last.total_bytes, "download completed");
        }
        self.inner.forget(id);
        // Watchers see the final state, then the channel closes.
        self.events.send_replace(last);
    }

    async fn download(&self) -> Result<(), RunError> {
        let permit = tokio::select! {
            permit = self.inner.slots.clone().acquire_owned() => permit.ok(),
            _ = self.stop.cancelled() => return Err(RunError::Stopped),
        };
        let _permit = permit;
        let _transferring = self.inner.activity.transferring();
        let record = self
            .inner
            .repository
            .set_status(self.record.id, DownloadStatus::Downloading, None)
            .await?;
        self.events.send_replace(DownloadSnapshot::from(record));
        let repo_id = RepoId::parse(&self.record.repo_id)?;
        // Stored before revisions were checked, a job may hold one that is unsafe: it fails.
        let revision = Revision::parse(&self.record.revision)?;
        let reporter = self.report_progress();
        let run = self
            .inner
            .downloader
            .run(&repo_id, &revision, &self.counters, &self.stop);
        tokio::pin!(run);
        tokio::pin!(reporter);
        tokio::select! {
            result = &mut run => result.map(|_| ()),
            never = &mut reporter => match never {},
        }
    }

    /// Publishes live progress until dropped.
    async fn report_progress(&self) -> std::convert::Infallible {
        let mut meter = RateMeter::new(RATE_WINDOW);
        let mut ticker = tokio::time::interval(PUBLISH_EVERY);
        let mut last_persist = tokio::time::Instant::now();
        loop {
            ticker.tick().await;
            let rate = meter.sample(self.counters.downloaded());
            self.events.send_replace(self.live_snapshot(rate));
            if last_persist.elapsed() >= PERSIST_EVERY {
                last_persist = tokio::time::Instant::now();
                self.persist_progress().await;
            }
        }
    }

    fn live_snapshot(&self, bytes_per_sec: f64) -> DownloadSnapshot {
        let previous = self.events.borrow().clone();
        let counters = &self.counters;
        if counters.commit().is_none() {
            // Not planned yet: keep the numbers of the last run.
            return DownloadSnapshot {
                updated_at: now_millis(),
                ..previous
            };
        }
        let (downloaded, total) = (counters.downloaded(), counters.total());
        DownloadSnapshot {
            commit: counters.commit(),
            downloaded_bytes: downloaded,
            total_bytes: total,
            bytes_per_sec,
            eta_secs: eta_secs(total.saturating_sub(downloaded), bytes_per_sec),
            current_file: counters.current_file(),
            files_done: counters.files_done(),
            files_total: counters.files_total(),
            updated_at: now_millis(),
            ..previous
        }
    }

    async fn persist_progress(&self) {
        if self.counters.commit().is_none() {
            return;
        }
        let update = DownloadProgressUpdate {
            commit_sha: self.counters.commit(),
            downloaded_bytes: self.counters.downloaded(),
            total_bytes: self.counters.total(),
            files_done: self.counters.files_done(),
            files_total: self.counters.files_total(),
        };
        if let Err(error) = self
            .inner
            .repository
            .save_progress(self.record.id, &update)
            .await
        {
            tracing::warn!(download = self.record.id, %error, "cannot save download progress");
        }
    }

    async fn remove_partial_data(&self) -> Result<(), String> {
        remove_partial_data(&self.inner, &self.record.repo_id).await
    }
}

/// Deletes what a cancelled download leaves, keeping blobs another snapshot links.
pub(crate) async fn remove_partial_data(inner: &Inner, repo_id: &str) -> Result<(), String> {
    let repo_id = RepoId::parse(repo_id).map_err(|e| e.to_string())?;
    let repo = inner.downloader.cache.repo(&repo_id);
    tokio::task::spawn_blocking(move || repo.remove_unused_data())
        .await
        .map_err(|e| e.to_string())?
        .map(|_| ())
        .map_err(|e| HubError::io("removing partial data", e).to_string())
}
