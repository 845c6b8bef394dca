//! Live counters of a running download and the rate/ETA computed from them.

use std::collections::VecDeque;

use super::activity::ActivityCounters;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Shared between the transfers of one job and whoever reports its progress.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes of the planned files present on disk (complete blobs and partial ones).
    downloaded: AtomicU64,
    /// Bytes received over the network during this run.
    fetched: AtomicU64,
    total: AtomicU64,
    files_done: AtomicU32,
    files_total: AtomicU32,
    current_file: Mutex<Option<String>>,
    commit: Mutex<Option<String>>,
    /// The server-wide sums this job's bytes also go to.
    activity: Option<Arc<ActivityCounters>>,
}

impl Counters {
    /// Counters whose received bytes also count in the server's download activity.
    pub(crate) fn counting_into(activity: Arc<ActivityCounters>) -> Self {
        Self {
            activity: Some(activity),
            ..Self::default()
        }
    }
    pub fn downloaded(&self) -> u64 {
        self.downloaded.load(Ordering::Relaxed)
    }
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
    pub fn files_done(&self) -> u32 {
        self.files_done.load(Ordering::Relaxed)
    }
    pub fn files_total(&self) -> u32 {
        self.files_total.load(Ordering::Relaxed)
    }
    pub fn current_file(&self) -> Option<String> {
        self.current_file.lock().expect("counters lock").clone()
    }
    pub fn commit(&self) -> Option<String> {
        self.commit.lock().expect("counters lock").clone()
    }

    pub(crate) fn set_plan(&self, commit: &str, total: u64, files: u32, present: u64, done: u32) {
        *self.commit.lock().expect("counters lock") = Some(commit.to_string());
        self.total.store(total, Ordering::Relaxed);
        self.files_total.store(files, Ordering::Relaxed);
        self.downloaded.store(present, Ordering::Relaxed);
        self.files_done.store(done, Ordering::Relaxed);
    }
    pub(crate) fn received(&self, bytes: u64) {
        self.downloaded.fetch_add(bytes, Ordering::Relaxed);
        self.fetched.fetch_add(bytes, Ordering::Relaxed);
        if let Some(activity) = &self.activity {
            activity.received(bytes);
        }
    }
    /// Partial bytes thrown away (the server ignored `Range`, or the data was bad).
    pub(crate) fn discarded(&self, bytes: u64) {
        let _ = self
            .downloaded
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_sub(bytes))
            });
    }
    pub(crate) fn file_done(&self) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn set_current_file(&self, path: Option<&str>) {
        *self.current_file.lock().expect("counters lock") = path.map(String::from);
    }
}

/// Bytes per second over a sliding window, and the time left at that rate.
#[derive(Debug)]
pub struct RateMeter {
    window: Duration,
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            samples: VecDeque::new(),
        }
    }

    /// Records the byte count now; returns the current rate in bytes per second.
    pub fn sample(&mut self, bytes: u64) -> f64 {
        self.sample_at(Instant::now(), bytes)
    }

    pub fn sample_at(&mut self, now: Instant, bytes: u64) -> f64 {
        self.samples.push_back((now, bytes));
        while self.samples.len() > 2 && now.duration_since(self.samples[0].0) > self.window {
            self.samples.pop_front();
        }
        let (first_time, first_bytes) = self.samples[0];
        let elapsed = now.duration_since(first_time).as_secs_f64();
        if elapsed < 0.2 {
            return 0.0;
        }
        bytes.saturating_sub(first_bytes) as f64 / elapsed
    }
}

/// Seconds left at a rate; `None` while the rate is unknown.
pub fn eta_secs(remaining: u64, bytes_per_sec: f64) -> Option<u64> {
    (bytes_per_sec >= 1.0).then(|| (remaining as f64 / bytes_per_sec).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_measured_over_the_window_and_gives_an_eta() {
        let mut meter = RateMeter::new(Duration::from_secs(5));
        let start = Instant::now();
        assert_eq!(meter.sample_at(start, 0), 0.0);
        let rate = meter.sample_at(start + Duration::from_secs(2), 2_000_000);
        assert_eq!(rate, 1_000_000.0);
        assert_eq!(eta_secs(3_000_000, rate), Some(3));
        // Older samples leave the window: a stall shows as a falling rate.
        let rate = meter.sample_at(start + Duration::from_secs(10), 2_000_000);
        assert!(rate < 300_000.0, "{rate}");
        assert_eq!(eta_secs(1, 0.0), None);
    }
}
