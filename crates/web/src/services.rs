//! The services the application is made of, each built from its own settings section.

use std::path::Path;
use std::time::Duration;

use mlx_manager_auth::setup_token::SetupToken;
use mlx_manager_auth::{
    AuthConfig, AuthService, ThrottleSettings, TokenSettings, load_or_create_jwt_secret,
};
use mlx_manager_core::Settings;
use mlx_manager_core::db::{Database, is_shared_with_others, restrict_sqlite_files};
use mlx_manager_core::memory::MemoryBudget;
use mlx_manager_core::secrets::SecretVault;
use mlx_manager_core::settings::AuthSettings;
use mlx_manager_core::usage::{AuditLog, QuotaService};
use mlx_manager_hub::HubService;
use mlx_manager_serving::Serving;
use secrecy::ExposeSecret;

use crate::StartupError;

/// The database and the services over it. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: Database,
    pub auth: AuthService,
    pub hub: HubService,
    /// Profiles and the model pool.
    pub serving: Serving,
    /// The record of every `/v1` request.
    pub audit: AuditLog,
    /// The limits on `/v1` use, counted over the audit log.
    pub quotas: QuotaService,
}

impl Services {
    /// Prepares the data directory, connects (migrating the schema) and starts every service,
    /// downloads included; no model loads yet (see [`Serving::start_auto_start_profiles`]).
    pub async fn start(settings: &Settings) -> Result<Self, StartupError> {
        let db = Self::database(settings).await?;
        let auth = auth_service(&settings.auth, &settings.data_dir, db.clone())?;
        guard_first_admin(&auth, settings).await?;
        let hub = HubService::start(
            db.clone(),
            &settings.hub,
            &settings.downloads,
            MemoryBudget::detect(),
            SecretVault::new(db.clone(), &settings.data_dir),
        )
        .await?;
        let serving = Serving::new(db.clone(), hub.clone()).await?;
        let (audit, quotas) = mlx_manager_core::usage::start(db.clone(), settings.audit).await?;
        Ok(Self {
            db,
            auth,
            hub,
            serving,
            audit,
            quotas,
        })
    }

    /// The data directory and the database alone, for commands that need nothing else.
    pub async fn database(settings: &Settings) -> Result<Database, StartupError> {
        prepare_data_dir(&settings.data_dir)?;
        if let Some(path) = settings.database.sqlite_path() {
            restrict_sqlite_files(&path).map_err(|source| StartupError::DataDir {
                path: path.clone(),
                source,
            })?;
        }
        Ok(Database::connect(&settings.database.url).await?)
    }

    /// The database and the auth service, for the `users` recovery commands.
    pub async fn auth_only(settings: &Settings) -> Result<(Database, AuthService), StartupError> {
        let db = Self::database(settings).await?;
        let auth = auth_service(&settings.auth, &settings.data_dir, db.clone())?;
        Ok((db, auth))
    }
}

/// Beyond loopback, whoever reaches a fresh install first must not become its admin: claiming
/// the first account then needs a one-time token (printed by `serve`, kept in the data dir).
async fn guard_first_admin(auth: &AuthService, settings: &Settings) -> Result<(), StartupError> {
    let status = auth.setup_status().await?;
    if status.first_admin_needed && !settings.server.host.is_loopback() {
        auth.require_setup_token(SetupToken::load_or_create(&settings.data_dir)?);
    } else {
        SetupToken::discard_file(&settings.data_dir);
    }
    Ok(())
}

/// The auth service: the signing secret (from the settings, else generated once into the data
/// directory), the token lifetime, and one password hash per core at most.
fn auth_service(
    settings: &AuthSettings,
    data_dir: &Path,
    db: Database,
) -> Result<AuthService, StartupError> {
    let from_env = settings
        .jwt_secret
        .as_ref()
        .map(|secret| secret.expose_secret());
    let secret = load_or_create_jwt_secret(data_dir, from_env)?;
    let token_settings = TokenSettings {
        lifetime: Duration::from_secs(settings.jwt_lifetime_secs),
        ..TokenSettings::default()
    };
    // Each hash is CPU-bound and takes ~19 MiB.
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let config = AuthConfig {
        token_secret: secret.expose_secret().to_vec(),
        token_settings,
        throttle: ThrottleSettings::default(),
        max_concurrent_hashes: cores,
    };
    Ok(AuthService::new(db, config)?)
}

/// Creates the data directory (owner-only) on first run and checks that it is writable.
fn prepare_data_dir(dir: &Path) -> Result<(), StartupError> {
    let failed = |source: std::io::Error| StartupError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(failed)?;
    } else if !dir.is_dir() {
        return Err(failed(std::io::Error::other("not a directory")));
    } else if is_shared_with_others(dir) {
        tracing::warn!(
            data_dir = %dir.display(),
            "the data directory is readable by other users; its secrets and database should not be (chmod 700 it)"
        );
    }
    let probe = dir.join(".write-check");
    std::fs::write(&probe, b"").map_err(failed)?;
    std::fs::remove_file(&probe).map_err(failed)?;
    Ok(())
}
