//! Password hashing with argon2id.
//!
//! Argon2 is deliberately slow and memory-hungry (about 20 MiB and tens of milliseconds per
//! call), so every hash and verify runs on tokio's blocking pool, never on the async executor,
//! and behind a semaphore: a login flood queues for permits instead of exhausting the blocking
//! pool or the machine's memory.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::{OnceCell, Semaphore};
use zeroize::Zeroizing;

use crate::AuthError;

/// The cost of one hash. New hashes use the hasher's cost; stored hashes with another cost
/// still verify and are reported as needing a rehash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP's argon2id baseline, which is also the argon2 crate's default.
    pub const OWASP: Self = Self {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
        parallelism: Params::DEFAULT_P_COST,
    };
}

impl Default for HashCost {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Stored hashes asking for more than this are treated as corrupt rather than computed: a
/// tampered row must not make one login allocate gigabytes or spin for minutes.
const MAX_STORED_MEMORY_KIB: u32 = 256 * 1024;
const MAX_STORED_ITERATIONS: u32 = 16;
const MAX_STORED_PARALLELISM: u32 = 16;

/// A hash of a random, forgotten password with [`HashCost::OWASP`], so that a login for an
/// unknown e-mail costs the same as one for a known e-mail (see [`PasswordHasher::verify_dummy`]).
const OWASP_DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$\
    q0HQu2b2SNd0M/70I8HMeQ$MDTbfaqyC+i6Bi3m2jI/HmmxIGiZc1S7XU6P15MHakU";

/// The outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    pub valid: bool,
    /// The password was right but the stored hash uses an older algorithm, version or cost:
    /// store a fresh [`PasswordHasher::hash`] of it now, while the plaintext is at hand.
    pub needs_rehash: bool,
}

impl Verification {
    const INVALID: Self = Self {
        valid: false,
        needs_rehash: false,
    };
}

/// Hashes and verifies passwords off the async executor, a bounded number at a time.
/// Cloning is cheap and clones share the bound.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    permits: Arc<Semaphore>,
    params: Params,
    dummy_hash: OnceCell<String>,
}

impl PasswordHasher {
    /// A hasher with the OWASP cost allowing `max_concurrent` (at least 1) hashes at a time.
    /// Size it from memory: each running hash holds about 19 MiB.
    pub fn new(max_concurrent: usize) -> Self {
        Self::with_cost(max_concurrent, HashCost::OWASP)
            .expect("the OWASP cost is a valid argon2 cost")
    }

    /// A hasher with another cost, e.g. a cheaper one in tests. Fails on costs argon2 refuses.
    pub fn with_cost(max_concurrent: usize, cost: HashCost) -> Result<Self, AuthError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| AuthError::Hashing(format!("invalid argon2 cost {cost:?}: {e}")))?;
        let dummy_hash = if cost == HashCost::OWASP {
            OnceCell::new_with(Some(OWASP_DUMMY_HASH.to_owned()))
        } else {
            OnceCell::new()
        };
        Ok(Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
                params,
                dummy_hash,
            }),
        })
    }

    /// Hashes `password` with a fresh random salt into a PHC string (`$argon2id$v=19$…`).
    pub async fn hash(&self, password: &str) -> Result<String, AuthError> {
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let params = self.inner.params.clone();
        self.run_blocking(move || {
            argon2id(params)
                .hash_password(&password)
                .map(|hash| hash.to_string())
                .map_err(|e| AuthError::Hashing(e.to_string()))
        })
        .await?
    }

    /// Checks `password` against a stored PHC hash. A malformed or unusable stored hash is
    /// logged and reported as a wrong password, never as an error or a panic.
    pub async fn verify(&self, password: &str, phc_hash: &str) -> Result<Verification, AuthError> {
        let stored = match parse_stored(phc_hash) {
            Ok(stored) => stored,
            Err(problem) => {
                tracing::warn!(%problem, "stored password hash is unusable; treating as a mismatch");
                return Ok(Verification::INVALID);
            }
        };
        let needs_rehash = differs_from_current(&stored, &self.inner.params);
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let outcome = self
            .run_blocking(move || Argon2::default().verify_password(&password, &stored.hash))
            .await?;
        match outcome {
            Ok(()) => Ok(Verification {
                valid: true,
                needs_rehash,
            }),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(Verification::INVALID),
            Err(e) => {
                tracing::warn!(error = %e, "stored password hash could not be checked");
                Ok(Verification::INVALID)
            }
        }
    }

    /// [`check_new_password`](crate::check_new_password) on the blocking pool, under the same
    /// permits as hashing: its strength estimate can cost hundreds of milliseconds of CPU on
    /// crafted input. Inputs over the length limit are refused without leaving this thread.
    pub async fn check_new_password(
        &self,
        password: &str,
        user_inputs: &[&str],
    ) -> Result<(), AuthError> {
        if password
            .chars()
            .nth(crate::password::MAX_PASSWORD_CHARS)
            .is_some()
        {
            return crate::check_new_password(password, &[]);
        }
        let password = Zeroizing::new(password.to_owned());
        let inputs: Vec<String> = user_inputs.iter().map(|s| (*s).to_owned()).collect();
        self.run_blocking(move || {
            let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
            crate::check_new_password(&password, &inputs)
        })
        .await?
    }

    /// Spends the same effort as [`verify`](Self::verify) against a hash of the current cost
    /// and discards the result. Call it when the e-mail is unknown so that response times do
    /// not reveal which accounts exist.
    pub async fn verify_dummy(&self, password: &str) {
        let dummy = self
            .inner
            .dummy_hash
            .get_or_try_init(|| async {
                let random = hex::encode(crate::random::random_bytes::<16>()?);
                self.hash(&random).await
            })
            .await;
        match dummy {
            Ok(dummy) => {
                let _ = self.verify(password, dummy).await;
            }
            Err(e) => tracing::warn!(error = %e, "could not prepare the dummy password hash"),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit moves into the
    /// blocking task, so it stays held until the work really ends even if the caller's future
    /// is dropped (a cancelled request cannot let more hashes run than allowed).
    async fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| AuthError::Hashing("the hasher is shut down".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| AuthError::Hashing(format!("hashing worker failed: {e}")))
    }
}

fn argon2id(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A stored hash that parsed and is safe to compute.
struct StoredHash {
    hash: PasswordHash,
    algorithm: Algorithm,
    version: Version,
    params: Params,
}

fn parse_stored(phc_hash: &str) -> Result<StoredHash, String> {
    let hash = PasswordHash::new(phc_hash).map_err(|e| format!("not a PHC string: {e}"))?;
    let algorithm = Algorithm::new(hash.algorithm.as_str())
        .map_err(|_| format!("not an argon2 hash: {}", hash.algorithm.as_str()))?;
    let version = match hash.version {
        Some(v) => Version::try_from(v).map_err(|_| format!("unknown argon2 version {v}"))?,
        None => Version::V0x10,
    };
    let params = Params::try_from(&hash).map_err(|e| format!("bad argon2 parameters: {e}"))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("salt or hash output missing".into());
    }
    if params.m_cost() > MAX_STORED_MEMORY_KIB
        || params.t_cost() > MAX_STORED_ITERATIONS
        || params.p_cost() > MAX_STORED_PARALLELISM
    {
        return Err(format!(
            "cost too high to compute (m={}, t={}, p={})",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    Ok(StoredHash {
        hash,
        algorithm,
        version,
        params,
    })
}

fn differs_from_current(stored: &StoredHash, current: &Params) -> bool {
    let output_len = |p: &Params| p.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    stored.algorithm != Algorithm::Argon2id
        || stored.version != Version::V0x13
        || stored.params.m_cost() != current.m_cost()
        || stored.params.t_cost() != current.t_cost()
        || stored.params.p_cost() != current.p_cost()
        || output_len(&stored.params) != output_len(current)
}

#[cfg(test)]
mod tests;
