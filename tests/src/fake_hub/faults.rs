//! Fault injection for the fake hub.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Faults to inject, settable from the test thread at any time. "File-content responses" are GETs
/// that send file bytes (200/206 on the hub's resolve, or on the CDN); each one set up while a
/// `times` counter is positive uses up one.
#[derive(Default)]
pub struct Faults {
    state: Mutex<State>,
    /// Bytes per second, 0 = no limit; read again for every chunk, so it applies mid-download.
    rate: AtomicU64,
    cdn_saw_authorization: AtomicBool,
}

#[derive(Default)]
struct State {
    cut: Option<(u64, u32)>,
    stall: Option<(u64, Duration, u32)>,
    fail: Option<(u16, u32)>,
    corrupt: HashSet<(String, String)>,
    token: Option<String>,
    /// Repo id -> the `sha` its model info answers instead of the real commit.
    sha: HashMap<String, String>,
}

/// The faults one file-content response gets.
#[derive(Default)]
pub(super) struct ContentPlan {
    pub cut_after: Option<u64>,
    pub stall: Option<(u64, Duration)>,
    pub corrupt: bool,
}

impl Faults {
    /// The next `times` file-content responses close the connection after `n` body bytes.
    pub fn cut_after_bytes(&self, n: u64, times: u32) {
        self.state.lock().unwrap().cut = (times > 0).then_some((n, times));
    }

    /// The next `times` file-content responses send `after_bytes`, then nothing for `duration`,
    /// then the rest.
    pub fn stall(&self, after_bytes: u64, duration: Duration, times: u32) {
        self.state.lock().unwrap().stall = (times > 0).then_some((after_bytes, duration, times));
    }

    /// The next `times` requests of any kind (API, resolve, CDN; HEAD too) answer `status` with a
    /// small JSON error body.
    pub fn fail_status(&self, status: u16, times: u32) {
        self.state.lock().unwrap().fail = (times > 0).then_some((status, times));
    }

    /// Serves that file (any commit, hub and CDN) with the byte at offset `size / 2` inverted;
    /// sizes, ETags and checksums still announce the right content.
    pub fn corrupt(&self, repo_id: &str, path: &str) {
        let mut state = self.state.lock().unwrap();
        state.corrupt.insert((repo_id.to_owned(), path.to_owned()));
    }

    /// Model info of that repo (any revision) answers `sha` as its commit (`None`: the real
    /// one again), as a broken or malicious hub could; trees and files stay as they are.
    pub fn answer_sha(&self, repo_id: &str, sha: Option<&str>) {
        let mut state = self.state.lock().unwrap();
        match sha {
            Some(sha) => state.sha.insert(repo_id.to_owned(), sha.to_owned()),
            None => state.sha.remove(repo_id),
        };
    }

    /// Throttles every file-content body to about that many bytes per second (`None`: no limit).
    pub fn rate_limit(&self, bytes_per_sec: Option<u64>) {
        let rate = bytes_per_sec.map_or(0, |rate| rate.max(1));
        self.rate.store(rate, Ordering::SeqCst);
    }

    /// Clears every fault (cuts, stalls, failures, corruptions, answered shas, rate limit). The token and the
    /// record of [`Faults::cdn_saw_authorization`] are kept.
    pub fn reset(&self) {
        let mut state = self.state.lock().unwrap();
        state.cut = None;
        state.stall = None;
        state.fail = None;
        state.corrupt.clear();
        state.sha.clear();
        self.rate.store(0, Ordering::SeqCst);
    }

    /// When `Some`, files of gated repos answer 401 (`X-Error-Code: GatedRepo`) unless the request
    /// carries `Authorization: Bearer <token>`.
    pub fn set_token(&self, token: Option<String>) {
        self.state.lock().unwrap().token = token;
    }

    /// Whether any request to the CDN carried an `Authorization` header (clients must never send
    /// the hub's token to another host).
    pub fn cdn_saw_authorization(&self) -> bool {
        self.cdn_saw_authorization.load(Ordering::SeqCst)
    }

    pub(super) fn note_cdn_authorization(&self) {
        self.cdn_saw_authorization.store(true, Ordering::SeqCst);
    }

    pub(super) fn token(&self) -> Option<String> {
        self.state.lock().unwrap().token.clone()
    }

    pub(super) fn sha_for(&self, repo_id: &str) -> Option<String> {
        self.state.lock().unwrap().sha.get(repo_id).cloned()
    }

    pub(super) fn rate(&self) -> Option<u64> {
        match self.rate.load(Ordering::SeqCst) {
            0 => None,
            rate => Some(rate),
        }
    }

    /// Uses up one `fail_status`, if any is pending.
    pub(super) fn take_fail_status(&self) -> Option<u16> {
        let mut state = self.state.lock().unwrap();
        let (status, times) = state.fail?;
        state.fail = (times > 1).then_some((status, times - 1));
        Some(status)
    }

    /// Uses up the pending cut and stall, if any, for one file-content response.
    pub(super) fn take_content_plan(&self, repo_id: &str, path: &str) -> ContentPlan {
        let mut state = self.state.lock().unwrap();
        let mut plan = ContentPlan::default();
        if let Some((n, times)) = state.cut {
            plan.cut_after = Some(n);
            state.cut = (times > 1).then_some((n, times - 1));
        }
        if let Some((after, duration, times)) = state.stall {
            plan.stall = Some((after, duration));
            state.stall = (times > 1).then_some((after, duration, times - 1));
        }
        plan.corrupt = state
            .corrupt
            .contains(&(repo_id.to_owned(), path.to_owned()));
        plan
    }
}
