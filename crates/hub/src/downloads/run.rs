//! One repository download from start to snapshot: resolve the revision to a commit, plan the
//! files, transfer them a few at a time, and only when every file is verified link the snapshot
//! and point the ref at it — so a failed or stopped run never leaves a half snapshot behind.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::checksum::Expected;
use super::progress::Counters;
use super::transfer::{PlannedFile, Transfer, TransferError};
use crate::HubError;
use crate::{HubCache, HubClient, RepoCache, TreeEntry};
use mlx_manager_core::domain::{CommitSha, RepoId, Revision};
use mlx_manager_core::settings::{DownloadSettings, HubSettings};

/// What every run needs, shared by the server's jobs and the CLI's `pull`.
#[derive(Clone)]
pub struct Downloader {
    pub client: HubClient,
    pub cache: HubCache,
    pub concurrent_files: usize,
    pub stall_timeout: Duration,
}

/// How a run ended, when it did not complete.
#[derive(Debug)]
pub enum RunError {
    /// Stopped through its token: partial data kept.
    Stopped,
    Failed(HubError),
}

impl From<HubError> for RunError {
    fn from(error: HubError) -> Self {
        Self::Failed(error)
    }
}

impl From<mlx_manager_core::CoreError> for RunError {
    fn from(error: mlx_manager_core::CoreError) -> Self {
        Self::Failed(error.into())
    }
}

/// A finished download.
#[derive(Debug, Clone)]
pub struct Completed {
    pub commit: CommitSha,
    pub snapshot: std::path::PathBuf,
}

impl Downloader {
    pub fn new(hub: &HubSettings, downloads: &DownloadSettings) -> Self {
        Self {
            client: HubClient::new(hub),
            cache: HubCache::new(&hub.cache),
            concurrent_files: downloads.concurrent_files,
            stall_timeout: Duration::from_secs(downloads.stall_timeout_secs),
        }
    }

    /// Downloads `repo` at `revision`, resuming whatever partial data is in the cache.
    pub async fn run(
        &self,
        repo_id: &RepoId,
        revision: &Revision,
        counters: &Arc<Counters>,
        stop: &CancellationToken,
    ) -> Result<Completed, RunError> {
        let repo = self.cache.repo(repo_id);
        let commit = self
            .with_retries(stop, || self.client.resolve_revision(repo_id, revision))
            .await?;
        let entries = self
            .with_retries(stop, || self.client.list_files(repo_id, &commit))
            .await?;
        let files = plan(&entries)?;
        self.cache
            .ensure_root()
            .map_err(|e| HubError::io("creating the hub cache", e))?;
        std::fs::create_dir_all(repo.dir().join("blobs"))
            .map_err(|e| HubError::io("creating the model's cache folder", e))?;
        report_plan(&repo, &commit, &files, counters);

        // Cancelled by the caller (pause, cancel, shutdown) or by the first failing transfer.
        let transfers_stop = stop.child_token();
        let transfer = Transfer {
            client: &self.client,
            repo: &repo,
            commit: &commit,
            counters,
            stop: &transfers_stop,
            stall_timeout: self.stall_timeout,
        };
        // Largest first: the long transfers start early, small files fill the gaps.
        let mut order = files.clone();
        order.sort_by_key(|f| std::cmp::Reverse(f.size));
        let transfer = &transfer;
        let mut results = futures_util::stream::iter(
            order
                .into_iter()
                .map(move |file| async move { transfer.run(&file).await }),
        )
        .buffer_unordered(self.concurrent_files);
        let mut first_error = None;
        while let Some(result) = results.next().await {
            if let Err(error) = result
                && first_error.is_none()
            {
                // One failure ends the run: stop the other transfers (their partials stay).
                transfers_stop.cancel();
                first_error = Some(error);
            }
        }
        drop(results);
        counters.set_current_file(None);
        match first_error {
            Some(TransferError::Stopped) => return Err(RunError::Stopped),
            Some(TransferError::Failed(error)) => return Err(RunError::Failed(error)),
            None if stop.is_cancelled() => return Err(RunError::Stopped),
            None => {}
        }

        for file in &files {
            repo.link_snapshot_file(&commit, &file.path, file.expected.etag())
                .map_err(|e| HubError::io(format!("linking {}", file.path), e))?;
        }
        // A commit asked for by its sha has no ref of its own; it becomes `main` if none exists.
        let main = Revision::main();
        let asked_for_commit = revision.as_str() == commit.as_str();
        let ref_name = if asked_for_commit { &main } else { revision };
        if !asked_for_commit || repo.read_ref(&main).is_none() {
            repo.write_ref(ref_name, &commit)
                .map_err(|e| HubError::io("writing the ref", e))?;
        }
        Ok(Completed {
            snapshot: repo.snapshot_dir(&commit),
            commit,
        })
    }

    /// Retries hub API calls that failed for network reasons, like the transfers do.
    async fn with_retries<T, F, Fut>(
        &self,
        stop: &CancellationToken,
        call: F,
    ) -> Result<T, RunError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, HubError>>,
    {
        let mut delay = Duration::from_millis(500);
        for attempt in 1.. {
            let result = tokio::select! {
                _ = stop.cancelled() => return Err(RunError::Stopped),
                result = call() => result,
            };
            match result {
                Err(HubError::Unavailable { message, .. }) if attempt < 4 => {
                    tracing::warn!(%message, attempt, "hub call failed; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return Err(RunError::Stopped),
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay *= 2;
                }
                other => return other.map_err(RunError::Failed),
            }
        }
        unreachable!("the loop returns")
    }
}

/// The files to fetch, with their checksums; refuses paths that would leave the snapshot.
pub(crate) fn plan(entries: &[TreeEntry]) -> Result<Vec<PlannedFile>, HubError> {
    entries
        .iter()
        .map(|entry| {
            let unsafe_path = entry.path.is_empty()
                || entry.path.starts_with('/')
                || entry.path.contains('\\')
                || entry
                    .path
                    .split('/')
                    .any(|p| p.is_empty() || p == "." || p == "..");
            if unsafe_path {
                return Err(HubError::Unavailable {
                    service: crate::HUB_NAME,
                    message: format!("the hub listed an unsafe file path {:?}", entry.path),
                });
            }
            let (expected, size) = match &entry.lfs {
                Some(lfs) => (Expected::Sha256(lfs.oid.to_lowercase()), lfs.size),
                None => (Expected::GitBlobSha1(entry.oid.to_lowercase()), entry.size),
            };
            if !expected.etag().chars().all(|c| c.is_ascii_hexdigit()) || expected.etag().len() < 40
            {
                return Err(HubError::Unavailable {
                    service: crate::HUB_NAME,
                    message: format!("the hub gave no usable checksum for {:?}", entry.path),
                });
            }
            Ok(PlannedFile {
                path: entry.path.clone(),
                size,
                expected,
            })
        })
        .collect()
}

/// Counts what is already on disk so progress starts where the last run stopped.
fn report_plan(repo: &RepoCache, commit: &CommitSha, files: &[PlannedFile], counters: &Counters) {
    let mut present = 0;
    let mut done = 0;
    for file in files {
        let etag = file.expected.etag();
        if repo.blob_path(etag).is_ok_and(|blob| blob.exists()) {
            present += file.size;
            done += 1;
        } else if let Some(meta) = repo
            .incomplete_path(etag)
            .ok()
            .and_then(|partial| std::fs::metadata(partial).ok())
        {
            present += meta.len().min(file.size);
        }
    }
    let total = files.iter().map(|f| f.size).sum();
    counters.set_plan(commit.as_str(), total, files.len() as u32, present, done);
}
