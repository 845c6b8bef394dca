//! One file from the hub into the cache: resumed with `Range` from its `.incomplete` blob,
//! retried with backoff on network trouble and stalls, hashed while written (off the async
//! threads), verified, then renamed into place.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::checksum::{ContentHasher, Expected};
use super::progress::Counters;
use super::writer::{disk_error, hash_prefix, spawn_writer};
use crate::HubError;
use crate::{HubClient, RepoCache};
use mlx_manager_core::domain::CommitSha;

const MAX_FAILURES_WITHOUT_PROGRESS: u32 = 6;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Bytes handed to the writer at once; small, so a killed process loses little of what arrived.
const BATCH_BYTES: usize = 256 << 10;

/// A file of the snapshot and what its bytes must hash to.
#[derive(Debug, Clone)]
pub(crate) struct PlannedFile {
    pub path: String,
    pub size: u64,
    pub expected: Expected,
}

pub(crate) struct Transfer<'a> {
    pub client: &'a HubClient,
    pub repo: &'a RepoCache,
    pub commit: &'a CommitSha,
    pub counters: &'a Counters,
    pub stop: &'a CancellationToken,
    pub stall_timeout: Duration,
}

#[derive(Debug)]
pub(crate) enum TransferError {
    /// Paused, cancelled or shut down: partial data kept.
    Stopped,
    Failed(HubError),
}

impl From<HubError> for TransferError {
    fn from(error: HubError) -> Self {
        Self::Failed(error)
    }
}

impl Transfer<'_> {
    /// Brings one file into `blobs/<etag>`; its bytes count in the job's counters.
    pub async fn run(&self, file: &PlannedFile) -> Result<(), TransferError> {
        let etag = file.expected.etag().to_string();
        let blob = self.repo.blob_path(&etag).map_err(cache_path_error)?;
        if blob.exists() {
            return Ok(());
        }
        let _lock = self.lock(&etag).await?;
        if blob.exists() {
            // Another process finished it while we waited for the lock.
            return Ok(());
        }
        let partial = self.repo.incomplete_path(&etag).map_err(cache_path_error)?;
        let mut state: Option<(ContentHasher, u64)> = None;
        let mut failures = 0;
        loop {
            if self.stop.is_cancelled() {
                return Err(TransferError::Stopped);
            }
            let (hasher, offset) = match state.take() {
                Some(carried) => carried,
                None => self.hash_existing(&partial, file).await?,
            };
            if offset == file.size {
                return self.promote(file, hasher, &partial, &blob).await;
            }
            match self.attempt(file, &partial, hasher, offset).await {
                Ok((hasher, reached)) => {
                    if reached > offset {
                        failures = 0;
                    }
                    state = Some((hasher, reached));
                    if reached < file.size {
                        failures += 1;
                        self.back_off(file, failures, "the connection ended early")
                            .await?;
                    }
                }
                Err(AttemptError::Retry { reason, progressed }) => {
                    failures = if progressed { 1 } else { failures + 1 };
                    self.back_off(file, failures, &reason).await?;
                }
                Err(AttemptError::Fatal(error)) => return Err(error),
            }
        }
    }

    async fn back_off(
        &self,
        file: &PlannedFile,
        failures: u32,
        reason: &str,
    ) -> Result<(), TransferError> {
        if failures > MAX_FAILURES_WITHOUT_PROGRESS {
            return Err(TransferError::Failed(HubError::Unavailable {
                service: crate::HUB_NAME,
                message: format!(
                    "{} failed {MAX_FAILURES_WITHOUT_PROGRESS} times in a row without progress: {reason}",
                    file.path
                ),
            }));
        }
        let delay = (FIRST_BACKOFF * 2u32.pow(failures.saturating_sub(1).min(5))).min(MAX_BACKOFF);
        tracing::warn!(file = %file.path, %reason, retry_in_ms = delay.as_millis() as u64, "download retry");
        tokio::select! {
            _ = self.stop.cancelled() => Err(TransferError::Stopped),
            _ = tokio::time::sleep(delay) => Ok(()),
        }
    }

    /// One request: appends what arrives to the partial blob; returns the hasher and the size
    /// the partial reached.
    async fn attempt(
        &self,
        file: &PlannedFile,
        partial: &Path,
        mut hasher: ContentHasher,
        mut offset: u64,
    ) -> Result<(ContentHasher, u64), AttemptError> {
        self.counters.set_current_file(Some(&file.path));
        let body = self
            .client
            .open_file(self.repo.id(), self.commit.as_str(), &file.path, offset)
            .await
            .map_err(AttemptError::from_core)?;
        let mut response = body.response;
        if offset > 0 && !body.resumed {
            // The server sent the whole file: start over.
            self.counters.discarded(offset);
            offset = 0;
            hasher = file.expected.hasher(file.size);
        }
        let (sender, receiver) = mpsc::channel::<Vec<Bytes>>(4);
        let writer = spawn_writer(partial.to_path_buf(), offset > 0, hasher, receiver);
        // Chunks travel to the writer in batches: one thread wake-up per batch, not per chunk.
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        let mut ending: Option<AttemptError> = None;
        loop {
            let chunk = tokio::select! {
                _ = self.stop.cancelled() => { ending = Some(AttemptError::Fatal(TransferError::Stopped)); break; }
                chunk = tokio::time::timeout(self.stall_timeout, response.chunk()) => chunk,
            };
            match chunk {
                Ok(Ok(Some(bytes))) => {
                    self.counters.received(bytes.len() as u64);
                    batch_bytes += bytes.len();
                    batch.push(bytes);
                    if batch_bytes >= BATCH_BYTES {
                        batch_bytes = 0;
                        if sender.send(std::mem::take(&mut batch)).await.is_err() {
                            break; // the writer failed; its error is read below
                        }
                    }
                }
                Ok(Ok(None)) => break,
                Ok(Err(error)) => {
                    ending = Some(AttemptError::retry(format!("transfer failed: {error}")));
                    break;
                }
                Err(_) => {
                    ending = Some(AttemptError::retry(format!(
                        "no data for {} s (stalled)",
                        self.stall_timeout.as_secs()
                    )));
                    break;
                }
            }
        }
        if !batch.is_empty() {
            // What arrived is kept, whatever ended the transfer.
            let _ = sender.send(batch).await;
        }
        drop(sender);
        let outcome = writer.await.map_err(|e| {
            AttemptError::Fatal(TransferError::Failed(HubError::io(
                "download writer",
                io::Error::other(e),
            )))
        })?;
        let reached = offset + outcome.written;
        if let Some(error) = outcome.error {
            return Err(AttemptError::Fatal(TransferError::Failed(disk_error(
                &file.path, error,
            ))));
        }
        match ending {
            Some(AttemptError::Retry { reason, .. }) => Err(AttemptError::Retry {
                reason,
                progressed: outcome.written > 0,
            }),
            Some(fatal) => Err(fatal),
            None if reached > file.size => {
                let _ = std::fs::remove_file(partial);
                self.counters.discarded(reached);
                Err(AttemptError::Fatal(TransferError::Failed(
                    HubError::ChecksumMismatch(format!(
                        "{}: received {reached} bytes, the hub announced {}",
                        file.path, file.size
                    )),
                )))
            }
            None => Ok((outcome.hasher, reached)),
        }
    }

    /// Verifies the complete partial blob and renames it into place.
    async fn promote(
        &self,
        file: &PlannedFile,
        hasher: ContentHasher,
        partial: &Path,
        blob: &Path,
    ) -> Result<(), TransferError> {
        if let Err(mismatch) = file.expected.verify(hasher) {
            // Bad bytes cannot be resumed from: drop them so a retry starts clean.
            let _ = std::fs::remove_file(partial);
            self.counters.discarded(file.size);
            return Err(TransferError::Failed(HubError::ChecksumMismatch(format!(
                "{}: {mismatch}",
                file.path
            ))));
        }
        std::fs::rename(partial, blob).map_err(|e| {
            TransferError::Failed(HubError::io(format!("promoting {}", file.path), e))
        })?;
        self.counters.file_done();
        Ok(())
    }

    /// The hasher state and length of an existing partial blob (hashed off the async threads).
    async fn hash_existing(
        &self,
        partial: &Path,
        file: &PlannedFile,
    ) -> Result<(ContentHasher, u64), TransferError> {
        let path = partial.to_path_buf();
        let expected = file.expected.clone();
        let size = file.size;
        let counters_discard =
            tokio::task::spawn_blocking(move || hash_prefix(&path, &expected, size))
                .await
                .map_err(|e| {
                    TransferError::Failed(HubError::io(
                        "hashing a partial download",
                        io::Error::other(e),
                    ))
                })?
                .map_err(|e| {
                    TransferError::Failed(HubError::io(
                        format!("reading the partial {}", file.path),
                        e,
                    ))
                })?;
        let (hasher, length, dropped) = counters_discard;
        self.counters.discarded(dropped);
        Ok((hasher, length))
    }

    /// Holds the same lock file Python's `huggingface_hub` uses, so two tools never write one
    /// blob at once.
    async fn lock(&self, etag: &str) -> Result<File, TransferError> {
        let path = self.repo.lock_path(etag).map_err(cache_path_error)?;
        let open = |path: &Path| -> io::Result<File> {
            std::fs::create_dir_all(path.parent().expect("lock has a parent"))?;
            File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
        };
        let file = open(&path)
            .map_err(|e| TransferError::Failed(HubError::io("creating a lock file", e)))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) => {
                    tokio::select! {
                        _ = self.stop.cancelled() => return Err(TransferError::Stopped),
                        _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                    }
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(TransferError::Failed(HubError::io("locking a blob", e)));
                }
            }
        }
    }
}

/// A blob, partial or lock path the cache refused (it would leave the cache).
fn cache_path_error(error: io::Error) -> TransferError {
    TransferError::Failed(HubError::io("a path in the hub cache", error))
}

enum AttemptError {
    Retry { reason: String, progressed: bool },
    Fatal(TransferError),
}

impl AttemptError {
    fn retry(reason: String) -> Self {
        Self::Retry {
            reason,
            progressed: false,
        }
    }

    /// Hub and network trouble is retried; a missing file or a refused token is not.
    fn from_core(error: HubError) -> Self {
        match error {
            HubError::Unavailable { message, .. } => Self::retry(message),
            other => Self::Fatal(TransferError::Failed(other)),
        }
    }
}
