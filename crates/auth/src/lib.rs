//! Authentication and authorization for MLX Manager: users, password hashing, tokens, sessions
//! and API keys, as functions over the core crate's repositories. No HTTP here.

pub mod api_keys;
mod error;
pub mod hashing;
pub mod password;
mod random;
pub mod secret;
mod service;
pub mod setup_token;
pub mod throttle;
pub mod tokens;

pub use api_keys::{
    API_KEY_PREFIX, NewApiKey, generate_api_key, hash_api_key, looks_like_api_key,
    try_generate_api_key,
};
pub use error::AuthError;
pub use hashing::{HashCost, PasswordHasher, Verification};
pub use password::check_new_password;
pub use secret::load_or_create_jwt_secret;
pub use service::{
    AdminEnsured, AuthConfig, AuthService, CreatedApiKey, Credential, LoginOutcome,
    MAX_API_KEYS_PER_USER, PendingSummary, Principal, RegistrationLimits, SetupStatus, UserEdit,
};
pub use throttle::{AddressRateLimit, LoginThrottle, ThrottleSettings};
pub use tokens::{AccessClaims, IssuedToken, TokenKeys, TokenService, TokenSettings};
