//! The auth use cases (register, login, sessions, administration, API keys) over core's
//! repositories. Each method is one use case; the API crate only parses and maps.

mod accounts;
mod admin;
mod keys;
mod recovery;
mod sessions;
mod setup;

use std::sync::Arc;

use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{
    ApiKeyRepository, RevokedTokenRepository, UserRepository,
};
use mlx_manager_core::domain::User;

pub use admin::{PendingSummary, UserEdit};
pub use keys::CreatedApiKey;
pub use recovery::AdminEnsured;
pub use sessions::{Credential, LoginOutcome, Principal};
pub use setup::SetupStatus;

use crate::AuthError;
use crate::hashing::PasswordHasher;
use crate::setup_token::SetupToken;
use crate::throttle::{AddressRateLimit, LoginThrottle, ThrottleSettings};
use crate::tokens::{TokenKeys, TokenService, TokenSettings};

/// How the auth service is set up.
pub struct AuthConfig {
    /// The HMAC key for access tokens (at least 32 bytes).
    pub token_secret: Vec<u8>,
    pub token_settings: TokenSettings,
    pub throttle: ThrottleSettings,
    /// Password hashes computed at once; each takes ~19 MiB and a core for tens of ms.
    pub max_concurrent_hashes: usize,
}

/// Limits on self-registration, against mass sign-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationLimits {
    /// Registrations one client network may make within `window` (0: no limit).
    pub per_ip: u32,
    pub window: std::time::Duration,
    /// Registration closes while this many accounts wait for approval (0: no cap).
    pub max_pending: u64,
}

impl RegistrationLimits {
    /// The pending count from which an admin is warned: four fifths of the cap.
    pub fn warn_at(&self) -> u64 {
        self.max_pending - self.max_pending / 5
    }
}

impl Default for RegistrationLimits {
    fn default() -> Self {
        Self {
            per_ip: 5,
            window: std::time::Duration::from_secs(10 * 60),
            max_pending: 100,
        }
    }
}

/// How many API keys one user may hold.
pub const MAX_API_KEYS_PER_USER: u64 = 50;

/// Cheap to clone: everything is shared.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

struct Inner {
    users: UserRepository,
    api_keys: ApiKeyRepository,
    revoked: RevokedTokenRepository,
    hasher: PasswordHasher,
    tokens: TokenService,
    throttle: LoginThrottle,
    registrations: AddressRateLimit,
    registration_limits: RegistrationLimits,
    /// Needed to claim the first admin when the server listens beyond loopback.
    setup_token: std::sync::Mutex<Option<SetupToken>>,
}

impl AuthService {
    pub fn new(db: Database, config: AuthConfig) -> Result<Self, AuthError> {
        Self::with_registration_limits(db, config, RegistrationLimits::default())
    }

    pub fn with_registration_limits(
        db: Database,
        config: AuthConfig,
        registration: RegistrationLimits,
    ) -> Result<Self, AuthError> {
        let keys = TokenKeys::new(&config.token_secret)?;
        Ok(Self {
            inner: Arc::new(Inner {
                users: UserRepository::new(db.clone()),
                api_keys: ApiKeyRepository::new(db.clone()),
                revoked: RevokedTokenRepository::new(db),
                hasher: PasswordHasher::new(config.max_concurrent_hashes.max(1)),
                tokens: TokenService::new(keys, config.token_settings),
                throttle: LoginThrottle::new(config.throttle),
                registrations: AddressRateLimit::new(registration.per_ip, registration.window),
                registration_limits: registration,
                setup_token: std::sync::Mutex::new(None),
            }),
        })
    }

    pub fn users(&self) -> &UserRepository {
        &self.inner.users
    }

    pub fn registration_limits(&self) -> RegistrationLimits {
        self.inner.registration_limits
    }

    /// How long access tokens live, in seconds.
    pub fn token_lifetime_secs(&self) -> u64 {
        self.inner.tokens.lifetime().as_secs()
    }
}

/// The inputs zxcvbn should treat as guessable for this user: the e-mail and its local part.
fn personal_inputs(email: &str) -> Vec<&str> {
    let local = email.split('@').next().unwrap_or_default();
    vec![email, local]
}

/// Audit records go to the `audit` log target: who did what, never a password or token.
macro_rules! audit {
    ($event:literal $(, $($field:tt)*)?) => {
        tracing::info!(target: "audit", event = $event $(, $($field)*)?)
    };
}
pub(crate) use audit;

fn user_inputs_for(user: &User) -> Vec<&str> {
    personal_inputs(user.email.as_str())
}
