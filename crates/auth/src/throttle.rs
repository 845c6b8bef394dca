//! Login throttling, in memory. Three counters of recent failures:
//!
//! - per **account and client network**: after a few failures that client is refused (429)
//!   for that account. Someone storming an account from one address locks only themselves
//!   out, never the owner signing in from elsewhere;
//! - per **client network**, over all accounts: stops one client spraying a common password
//!   over many accounts (refused the same way);
//! - per **account**, over all clients: never refuses, but delays each further attempt before
//!   the password is checked, doubling with every failure up to a few seconds, so that
//!   guessing spread over many addresses is slowed while the owner still gets in.
//!
//! A refused attempt is answered before the password is even checked, and is not counted.
//! [`AddressRateLimit`] limits an action per client network without regard to failures
//! (registrations).
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
    /// Failures for one account from one client network before that client is refused.
    pub per_email_and_ip_failures: u32,
    /// Failures from one client network, over all accounts, before it is refused.
    pub per_ip_failures: u32,
    /// Failures for one account, from anywhere, before each attempt on it is delayed.
    pub per_email_failures_before_delay: u32,
    /// The first delay; each further failure doubles it, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            per_email_and_ip_failures: 5,
            per_ip_failures: 20,
            per_email_failures_before_delay: 5,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// How many doublings of the first delay are ever needed (2^16 × 1 ms is over a minute).
const MAX_DOUBLINGS: usize = 16;

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

/// An account as seen from one client network.
type PairKey = (EmailKey, NetKey);

/// IPv6 clients are counted per /64, the block one subscriber usually gets; counting single
/// addresses would let them rotate through 2^64 of them. IPv4-mapped IPv6 counts as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NetKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

struct State {
    pairs: HashMap<PairKey, VecDeque<Instant>>,
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
            pairs: HashMap::new(),
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

    /// `Ok(delay)`: the attempt may go on after waiting `delay` (zero unless the account has
    /// failed often lately, from anywhere). `Err(retry_after)`: this client has failed too
    /// often, for this account or over all accounts, within the window; `retry_after` is whole
    /// seconds, at least one, at most the window.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<Duration, Duration> {
        let now = (self.clock)();
        let settings = self.settings;
        let window = settings.window;
        let (email, net) = (email_key(email), net_key(ip));
        let mut state = self.lock();
        let by_pair = wait(
            &mut state.pairs,
            &(email, net),
            settings.per_email_and_ip_failures,
            window,
            now,
        );
        let by_net = wait(&mut state.nets, &net, settings.per_ip_failures, window, now);
        if let Some(wait) = by_pair.max(by_net) {
            return Err(round_up(wait, window));
        }
        let failures = recent(&mut state.emails, &email, window, now);
        Ok(self.delay_after(failures))
    }

    /// The delay before an attempt on an account that failed `failures` times lately.
    fn delay_after(&self, failures: usize) -> Duration {
        let settings = self.settings;
        let free = usize::try_from(settings.per_email_failures_before_delay).unwrap_or(usize::MAX);
        if free == 0 || failures < free {
            return Duration::ZERO;
        }
        let doublings = u32::try_from((failures - free).min(MAX_DOUBLINGS)).unwrap_or(0);
        settings
            .first_delay
            .saturating_mul(1 << doublings)
            .min(settings.max_delay)
    }

    /// Counts a failed login (wrong password, unknown e-mail, disabled account alike).
    pub fn record_failure(&self, email: &str, ip: IpAddr) {
        let now = (self.clock)();
        let settings = self.settings;
        let mut state = self.lock();
        if now.saturating_duration_since(state.last_sweep) >= settings.window {
            state.sweep(now, settings.window);
        }
        let State {
            pairs,
            emails,
            nets,
            ..
        } = &mut *state;
        let (email, net) = (email_key(email), net_key(ip));
        let limits = (settings.window, self.max_keys);
        push(
            pairs,
            (email, net),
            settings.per_email_and_ip_failures,
            limits,
            now,
        );
        let delay_steps = match settings.per_email_failures_before_delay {
            0 => 0,
            free => free.saturating_add(MAX_DOUBLINGS as u32),
        };
        push(emails, email, delay_steps, limits, now);
        push(nets, net, settings.per_ip_failures, limits, now);
    }

    /// A correct password clears the account's failures: its delay, and this client's count
    /// for it. Other clients' counts for the account stay (the owner signing in does not
    /// unlock an attacker), and so does this client's overall count: a sprayer who owns one
    /// account must not be able to reset it by logging into that account.
    pub fn record_success(&self, email: &str, ip: IpAddr) {
        let email = email_key(email);
        let mut state = self.lock();
        state.emails.remove(&email);
        state.pairs.remove(&(email, net_key(ip)));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a cache of counters: after a panic elsewhere it is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn sweep(&mut self, now: Instant, window: Duration) {
        sweep(&mut self.pairs, now, window);
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

/// How many failures `key` has within the window.
fn recent<K: Eq + Hash>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: &K,
    window: Duration,
    now: Instant,
) -> usize {
    let Some(failures) = map.get_mut(key) else {
        return 0;
    };
    prune(failures, now, window);
    let count = failures.len();
    if count == 0 {
        map.remove(key);
    }
    count
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

/// At most `limit` actions per client network within a sliding `window`, whatever their
/// outcome (registrations). A limit of 0 switches it off. Cloning is cheap; clones share it.
#[derive(Clone)]
pub struct AddressRateLimit {
    limit: u32,
    window: Duration,
    clock: Clock,
    max_keys: usize,
    state: Arc<Mutex<HashMap<NetKey, VecDeque<Instant>>>>,
}

impl std::fmt::Debug for AddressRateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressRateLimit")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl AddressRateLimit {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_clock(limit, window, Instant::now)
    }

    /// With a clock of the caller's choosing, so tests can move time instead of sleeping.
    pub fn with_clock(
        limit: u32,
        window: Duration,
        clock: impl Fn() -> Instant + Send + Sync + 'static,
    ) -> Self {
        Self {
            limit,
            window,
            clock: Arc::new(clock),
            max_keys: MAX_TRACKED_KEYS,
            state: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Takes one of this client's places in the window; `Err(retry_after)` (whole seconds,
    /// at least one) when all are taken.
    pub fn acquire(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = (self.clock)();
        let net = net_key(ip);
        let mut state = self.lock();
        if let Some(wait) = wait(&mut state, &net, self.limit, self.window, now) {
            return Err(round_up(wait, self.window));
        }
        push(
            &mut state,
            net,
            self.limit,
            (self.window, self.max_keys),
            now,
        );
        Ok(())
    }

    /// Gives back the place taken last by this client (the action failed for another
    /// reason, such as a weak password, and should not count).
    pub fn release(&self, ip: IpAddr) {
        let net = net_key(ip);
        let mut state = self.lock();
        if let Some(times) = state.get_mut(&net) {
            times.pop_back();
            if times.is_empty() {
                state.remove(&net);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<NetKey, VecDeque<Instant>>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
