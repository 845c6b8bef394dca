//! What the server's downloads are doing, summed over all jobs: bytes received from the hub
//! since the server started, and how many jobs are transferring now (not waiting for a slot).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The sums at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DownloadActivity {
    pub fetched_bytes: u64,
    pub active: usize,
}

/// Shared by the manager and its jobs.
#[derive(Debug, Default)]
pub(crate) struct ActivityCounters {
    fetched_bytes: AtomicU64,
    active: AtomicUsize,
}

impl ActivityCounters {
    pub fn read(&self) -> DownloadActivity {
        DownloadActivity {
            fetched_bytes: self.fetched_bytes.load(Ordering::Relaxed),
            active: self.active.load(Ordering::Relaxed),
        }
    }

    pub fn received(&self, bytes: u64) {
        self.fetched_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a job as transferring until the guard is dropped.
    pub fn transferring(self: &Arc<Self>) -> ActiveGuard {
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard(self.clone())
    }
}

pub(crate) struct ActiveGuard(Arc<ActivityCounters>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transferring_job_counts_until_its_guard_drops() {
        let counters = Arc::new(ActivityCounters::default());
        let first = counters.transferring();
        let second = counters.transferring();
        counters.received(10);
        counters.received(5);
        assert_eq!(
            counters.read(),
            DownloadActivity {
                fetched_bytes: 15,
                active: 2
            }
        );
        drop(first);
        drop(second);
        assert_eq!(counters.read().active, 0);
        assert_eq!(counters.read().fetched_bytes, 15, "bytes stay counted");
    }
}
