//! Login throttling, in memory: failures are counted per e-mail (stops guessing one account's
//! password) and per client network (stops one client spraying a common password over many
//! accounts). A throttled attempt is refused before the password is even checked.
//!
//! Counters live in this process only: a restart clears them, and several instances each
//! count on their own. That is acceptable for a single-binary deployment.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Limits for [`LoginThrottle`]. A limit of 0 switches that counter off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleSettings {
    pub per_email_failures: u32,
    pub per_ip_failures: u32,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            per_email_failures: 5,
            per_ip_failures: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// At most this many e-mails and as many networks are tracked; beyond it the stalest entry
/// is dropped, so a flood of random e-mails cannot grow memory without bound (~15 MiB worst).
const MAX_TRACKED_KEYS: usize = 100_000;

type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Counts recent login failures. Cloning is cheap; clones share the counters.
#[derive(Clone)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
    clock: Clock,
    max_keys: usize,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// E-mails are kept only as SHA-256 digests: fixed size whatever the input, and no list of
/// addresses sits in memory.
type EmailKey = [u8; 32];

/// IPv6 clients are counted per /64, the block one subscriber usually gets; counting single
/// addresses would let them rotate through 2^64 of them. IPv4-mapped IPv6 counts as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NetKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

struct State {
    emails: HashMap<EmailKey, VecDeque<Instant>>,
    nets: HashMap<NetKey, VecDeque<Instant>>,
    last_sweep: Instant,
}

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> Self {
        Self::with_clock(settings, Instant::now)
    }

    /// With a clock of the caller's choosing, so tests can move time instead of sleeping.
    pub fn with_clock(
        settings: ThrottleSettings,
        clock: impl Fn() -> Instant + Send + Sync + 'static,
    ) -> Self {
        Self::build(settings, Arc::new(clock), MAX_TRACKED_KEYS)
    }

    fn build(settings: ThrottleSettings, clock: Clock, max_keys: usize) -> Self {
        let state = State {
            emails: HashMap::new(),
            nets: HashMap::new(),
            last_sweep: clock(),
        };
        Self {
            settings,
            clock,
            max_keys: max_keys.max(1),
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// `Err(retry_after)` when this e-mail or this client has failed too often within the
    /// window; `retry_after` is whole seconds, at least one, at most the window.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        let now = (self.clock)();
        let window = self.settings.window;
        let mut state = self.lock();
        let by_email = wait(
            &mut state.emails,
            &email_key(email),
            self.settings.per_email_failures,
            window,
            now,
        );
        let by_net = wait(
            &mut state.nets,
            &net_key(ip),
            self.settings.per_ip_failures,
            window,
            now,
        );
        match by_email.max(by_net) {
            None => Ok(()),
            Some(wait) => Err(round_up(wait, window)),
        }
    }

    /// Counts a failed login (wrong password, unknown e-mail, disabled account alike).
    pub fn record_failure(&self, email: &str, ip: IpAddr) {
        let now = (self.clock)();
        let settings = self.settings;
        let mut state = self.lock();
        if now.saturating_duration_since(state.last_sweep) >= settings.window {
            state.sweep(now, settings.window);
        }
        let State { emails, nets, .. } = &mut *state;
        let limits = (settings.window, self.max_keys);
        push(
            emails,
            email_key(email),
            settings.per_email_failures,
            limits,
            now,
        );
        push(nets, net_key(ip), settings.per_ip_failures, limits, now);
    }

    /// A correct password clears the e-mail's failures. The client's count stays: a sprayer
    /// who owns one account must not be able to reset its counter by logging into it.
    pub fn record_success(&self, email: &str, _ip: IpAddr) {
        self.lock().emails.remove(&email_key(email));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache of counters: after a panic elsewhere it is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn sweep(&mut self, now: Instant, window: Duration) {
        sweep(&mut self.emails, now, window);
        sweep(&mut self.nets, now, window);
        self.last_sweep = now;
    }
}

fn expired(at: Instant, now: Instant, window: Duration) -> bool {
    now.saturating_duration_since(at) >= window
}

fn prune(failures: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while failures.front().is_some_and(|&at| expired(at, now, window)) {
        failures.pop_front();
    }
}

fn sweep<K>(map: &mut HashMap<K, VecDeque<Instant>>, now: Instant, window: Duration) {
    map.retain(|_, failures| {
        prune(failures, now, window);
        !failures.is_empty()
    });
}

/// How long until `key` drops below `limit` failures, if it is at or over it now.
fn wait<K: Eq + Hash>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: &K,
    limit: u32,
    window: Duration,
    now: Instant,
) -> Option<Duration> {
    let failures = map.get_mut(key)?;
    prune(failures, now, window);
    if failures.is_empty() {
        map.remove(key);
        return None;
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if limit == 0 || failures.len() < limit {
        return None;
    }
    // Only the last `limit` failures are kept, so the front one is the one that must expire.
    let oldest = *failures.front()?;
    Some(window.saturating_sub(now.saturating_duration_since(oldest)))
}

fn push<K: Eq + Hash + Copy>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: K,
    limit: u32,
    (window, max_keys): (Duration, usize),
    now: Instant,
) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if limit == 0 {
        return;
    }
    if !map.contains_key(&key) && map.len() >= max_keys {
        sweep(map, now, window);
        if map.len() >= max_keys {
            let stalest = map
                .iter()
                .min_by_key(|(_, failures)| failures.back().copied())
                .map(|(key, _)| *key);
            if let Some(stalest) = stalest {
                map.remove(&stalest);
            }
        }
    }
    let failures = map.entry(key).or_default();
    prune(failures, now, window);
    failures.push_back(now);
    // Older failures can never matter again: the limit is reached with the newest ones.
    while failures.len() > limit {
        failures.pop_front();
    }
}

fn email_key(email: &str) -> EmailKey {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

fn net_key(ip: IpAddr) -> NetKey {
    match ip {
        IpAddr::V4(v4) => NetKey::V4(v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => NetKey::V4(v4.octets()),
            None => {
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&v6.octets()[..8]);
                NetKey::V6Prefix(prefix)
            }
        },
    }
}

/// Whole seconds (HTTP's `Retry-After` unit), at least 1 s and at most the window.
fn round_up(wait: Duration, window: Duration) -> Duration {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1)).min(window.max(Duration::from_secs(1)))
}

#[cfg(test)]
mod tests;
