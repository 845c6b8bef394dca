//! Building the auth service from the settings: the signing secret and the token lifetime.

use std::time::Duration;

use mlx_manager_auth::{
    AuthConfig, AuthService, ThrottleSettings, TokenSettings, load_or_create_jwt_secret,
};
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;
use secrecy::ExposeSecret;

pub fn auth_service(settings: &Settings, db: Database) -> Result<AuthService, String> {
    let from_env = settings
        .jwt_secret
        .as_ref()
        .map(|secret| secret.expose_secret());
    let secret =
        load_or_create_jwt_secret(&settings.data_dir, from_env).map_err(|e| e.to_string())?;
    let token_settings = TokenSettings {
        lifetime: Duration::from_secs(settings.jwt_lifetime_secs),
        ..TokenSettings::default()
    };
    // One hash per core at most: each is CPU-bound and takes ~19 MiB.
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let config = AuthConfig {
        token_secret: secret.expose_secret().to_vec(),
        token_settings,
        throttle: ThrottleSettings::default(),
        max_concurrent_hashes: cores,
    };
    AuthService::new(db, config).map_err(|e| e.to_string())
}
