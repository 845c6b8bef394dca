//! The audit log of model-API use: entries are handed over without waiting, written in batches
//! by a background task, pruned by age and row count, and read back by admins.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::{mpsc, oneshot};

use super::ledger::UsageLedger;
use crate::CoreError;
use crate::db::Database;
use crate::db::repositories::{AuditLogRepository, UserRepository};
use crate::domain::{AuditEntry, AuditFilter, AuditRecord, AuditStats, User};
use crate::permissions::require_admin;
use crate::settings::AuditSettings;
use crate::time::now_millis;

/// Most entries written by one statement.
const MAX_BATCH: usize = 500;
/// Entries read per query while exporting.
const EXPORT_BATCH: u64 = 500;
/// How often old entries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Attempts at writing one batch before it is given up (and logged).
const WRITE_ATTEMPTS: u32 = 5;

enum Command {
    Record(AuditEntry),
    Flush(oneshot::Sender<()>),
}

/// Records and reads the audit log. Cloning shares the one writer.
#[derive(Clone)]
pub struct AuditLog {
    sender: mpsc::UnboundedSender<Command>,
    repository: AuditLogRepository,
    users: UserRepository,
    ledger: Arc<UsageLedger>,
}

impl AuditLog {
    /// Starts the writer and the pruning task (on the current Tokio runtime). Entries also
    /// count in `ledger`, the quotas' view of recent use.
    pub fn start(db: Database, settings: AuditSettings, ledger: Arc<UsageLedger>) -> Self {
        let repository = AuditLogRepository::new(db.clone());
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(repository.clone(), receiver));
        tokio::spawn(prune_periodically(
            repository.clone(),
            settings,
            Arc::downgrade(&ledger),
        ));
        Self {
            sender,
            repository,
            users: UserRepository::new(db),
            ledger,
        }
    }

    /// Records a finished request; never waits for the database.
    pub fn record(&self, entry: AuditEntry) {
        if let (Some(user_id), Some(tokens)) = (entry.user_id, entry.completion_tokens) {
            self.ledger.add_tokens(user_id, tokens, now_millis());
        }
        if self.sender.send(Command::Record(entry)).is_err() {
            tracing::error!("the audit log's writer has stopped; an entry was not recorded");
        }
    }

    /// Waits until everything recorded so far is written (at shutdown, and for tests).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Command::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }

    /// A page of entries, the newest first, and how many the filter selects (admins only).
    pub async fn list(
        &self,
        actor: &User,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditRecord>, u64), CoreError> {
        require_admin(actor)?;
        self.flush().await;
        self.repository.page(filter, offset, limit).await
    }

    /// Totals by status, model and user (admins only).
    pub async fn stats(&self, actor: &User, filter: &AuditFilter) -> Result<AuditStats, CoreError> {
        require_admin(actor)?;
        self.flush().await;
        let mut stats = self.repository.stats(filter).await?;
        let emails: HashMap<i32, String> = self
            .users
            .list(None)
            .await?
            .into_iter()
            .map(|user| (user.id, user.email.to_string()))
            .collect();
        for row in &mut stats.by_user {
            row.email = row.user_id.and_then(|id| emails.get(&id).cloned());
        }
        Ok(stats)
    }

    /// The caller's own totals (by model) in `filter`'s range; the filter's user is replaced.
    pub async fn own_stats(
        &self,
        actor: &User,
        mut filter: AuditFilter,
    ) -> Result<AuditStats, CoreError> {
        filter.user_id = Some(actor.id);
        self.flush().await;
        self.repository.stats(&filter).await
    }

    /// Every entry the filter selects, oldest first, read in batches as the stream is polled
    /// (admins only).
    pub async fn export(
        &self,
        actor: &User,
        filter: AuditFilter,
    ) -> Result<impl Stream<Item = Result<AuditRecord, CoreError>> + Send + 'static, CoreError>
    {
        require_admin(actor)?;
        self.flush().await;
        let repository = self.repository.clone();
        let batches = futures_util::stream::try_unfold(
            (repository, filter, 0i32, false),
            |(repository, filter, after, done)| async move {
                if done {
                    return Ok::<_, CoreError>(None);
                }
                let batch = repository.after(&filter, after, EXPORT_BATCH).await?;
                let last = batch.last().map_or(after, |record| record.id);
                let done = (batch.len() as u64) < EXPORT_BATCH;
                Ok(Some((
                    futures_util::stream::iter(batch.into_iter().map(Ok::<_, CoreError>)),
                    (repository, filter, last, done),
                )))
            },
        );
        Ok(futures_util::TryStreamExt::try_flatten(batches))
    }
}

async fn write_batches(
    repository: AuditLogRepository,
    mut receiver: mpsc::UnboundedReceiver<Command>,
) {
    let mut batch = Vec::new();
    let mut waiting = Vec::new();
    while let Some(command) = receiver.recv().await {
        // Whatever else has arrived meanwhile goes into the same statement.
        let mut next = Some(command);
        while let Some(command) = next.take().or_else(|| receiver.try_recv().ok()) {
            match command {
                Command::Record(entry) => batch.push(entry),
                Command::Flush(done) => waiting.push(done),
            }
            if batch.len() >= MAX_BATCH {
                break;
            }
        }
        write(&repository, std::mem::take(&mut batch)).await;
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}

async fn write(repository: &AuditLogRepository, batch: Vec<AuditEntry>) {
    if batch.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=WRITE_ATTEMPTS {
        match repository.insert_all(batch.clone()).await {
            Ok(()) => return,
            Err(error) if attempt < WRITE_ATTEMPTS => {
                tracing::warn!(%error, entries = batch.len(), attempt, "cannot write the audit log; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(error) => {
                tracing::error!(%error, entries = batch.len(), "cannot write the audit log; entries lost");
            }
        }
    }
}

async fn prune_periodically(
    repository: AuditLogRepository,
    settings: AuditSettings,
    ledger: std::sync::Weak<UsageLedger>,
) {
    let mut ticks = tokio::time::interval(PRUNE_EVERY);
    loop {
        ticks.tick().await;
        // The log is gone (the application shut down): nothing more to prune.
        let Some(ledger) = ledger.upgrade() else {
            return;
        };
        ledger.compact(now_millis());
        let before =
            now_millis().saturating_sub(settings.retention_days as i64 * super::ledger::DAY_MS);
        match repository.prune(before, settings.max_rows).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "pruned the audit log"),
            Err(error) => tracing::warn!(%error, "cannot prune the audit log"),
        }
    }
}
