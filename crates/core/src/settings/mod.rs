//! Application settings: built-in defaults < `<data dir>/config.toml` < `MLX_MANAGER_*` environment
//! variables (plus the standard `HF_*` ones) < command-line flags.

mod de;
mod hosts;
mod load;
mod proxies;
mod raw;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use hosts::AllowedHosts;
pub use load::{CONFIG_FILE_NAME, Overrides};
pub use proxies::TrustedProxies;

/// Characters that would end or alter the path part of a `sqlite://` URL.
const PATH_UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'?').add(b'#');

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The fully resolved, validated configuration, in sections: each component is given only the
/// section it needs. `Debug` never shows secrets.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database, secrets and `config.toml` live.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub hub: HubSettings,
    pub downloads: DownloadSettings,
    pub auth: AuthSettings,
    pub model_api: ModelApiSettings,
    pub audit: AuditSettings,
}

/// The HTTP listener and what every request gets.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: IpAddr,
    /// `0` asks the OS for a free port (the binary prints the one it got).
    pub port: u16,
    /// Origins allowed to call the API from another site. Empty: CORS stays off (same origin only).
    pub cors_allowed_origins: Vec<url::Origin>,
    /// Upper bound on producing a response's headers (streams may run longer).
    pub request_timeout_secs: u64,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// A connection that has not sent a whole request header this long after it opened, or
    /// after its previous response (keep-alive), is closed.
    pub header_read_timeout_secs: u64,
    /// Connections open at once, from everyone; `None`: as many as the open-file limit allows.
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address.
    pub max_connections_per_client: usize,
    /// The names and addresses clients may reach the server by (the `Host` header); anything
    /// else is refused, which defeats DNS rebinding. `*` allows any.
    pub allowed_hosts: AllowedHosts,
    /// Reverse proxies whose `X-Forwarded-For` names the client (throttling, logs); empty:
    /// the header is ignored.
    pub trusted_proxies: TrustedProxies,
    /// A second listener answering only `GET /metrics`, without credentials, for scrapers on a
    /// trusted network; `None` (the default): metrics need an admin on the main listener.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; may hold a password, hence secret.
    pub url: SecretString,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// A `tracing` filter directive such as `info` or `info,sea_orm=warn`.
    pub level: String,
    pub format: LogFormat,
}

/// The Hugging Face hub and its cache, as Python's `huggingface_hub` reads them.
#[derive(Debug, Clone)]
pub struct HubSettings {
    pub home: PathBuf,
    /// Where the hub cache lives: `HF_HUB_CACHE`, else `<home>/hub`.
    pub cache: PathBuf,
    pub endpoint: url::Url,
    pub offline: bool,
    /// The token for gated and private repos (`HF_TOKEN`, `hf_token` in the config file); see
    /// [`HubSettings::token`] for the fallback. Never logged.
    pub token: Option<SecretString>,
    /// Where `token` came from.
    pub token_source: Option<HubTokenSource>,
    /// Upper bound on a hub API call (search, model info) and on connecting.
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct DownloadSettings {
    /// Downloads that run at once; more wait in a queue.
    pub concurrent_jobs: usize,
    /// Files of one download fetched at once.
    pub concurrent_files: usize,
    /// A transfer that receives no byte for this long is dropped and retried.
    pub stall_timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The access-token signing key (`MLX_MANAGER_JWT_SECRET`); when absent one is generated
    /// once into the data directory.
    pub jwt_secret: Option<SecretString>,
    /// How long an access token stays valid.
    pub jwt_lifetime_secs: u64,
}

/// The model API (`/v1`): how long each kind of request may run, streaming or not. These replace
/// `request_timeout_secs` there, which is too short for a generation; a request that runs out of
/// time is cancelled in the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelApiSettings {
    /// Chat completions and messages (OpenAI and Anthropic).
    pub chat_timeout_secs: u64,
    /// Text completions.
    pub completions_timeout_secs: u64,
    /// Embeddings.
    pub embeddings_timeout_secs: u64,
}

/// How long the audit log of model-API use keeps its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Entries older than this many days are deleted.
    pub retention_days: u64,
    /// At most this many entries are kept (the oldest go first).
    pub max_rows: u64,
}

impl Settings {
    /// Loads the settings from every source, validating them.
    pub fn load(overrides: &Overrides) -> Result<Self, crate::CoreError> {
        load::load(overrides, &load::process_env())
    }

    /// The default database: a SQLite file in the data directory.
    pub fn default_database_url(data_dir: &Path) -> String {
        let path = data_dir.join("mlx-manager.db");
        let encoded = utf8_percent_encode(&path.to_string_lossy(), PATH_UNSAFE).to_string();
        format!("sqlite://{encoded}?mode=rwc")
    }
}

/// Where the hub token in use comes from, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HubTokenSource {
    /// `HF_TOKEN` or `MLX_MANAGER_HF_TOKEN`.
    Environment,
    /// `hf_token` in `config.toml`.
    ConfigFile,
    /// Stored by an admin through the API (encrypted in the database).
    Stored,
    /// `<HF_HOME>/token`, as `hf auth login` writes it.
    HubTokenFile,
}

impl HubTokenSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Environment => "environment",
            Self::ConfigFile => "config_file",
            Self::Stored => "stored",
            Self::HubTokenFile => "hf_home_token_file",
        }
    }
}

impl HubSettings {
    /// The hub token, if any: the configured one, else the token file in `home`.
    pub fn token(&self) -> Option<SecretString> {
        self.token.clone().or_else(|| self.token_file())
    }

    /// The token in `<home>/token`, if there is one.
    pub fn token_file(&self) -> Option<SecretString> {
        let raw = std::fs::read_to_string(self.home.join("token")).ok()?;
        let token = raw.trim();
        (!token.is_empty()).then(|| SecretString::from(token.to_string()))
    }
}

impl DatabaseSettings {
    /// The URL with any password masked, safe to log.
    pub fn url_redacted(&self) -> String {
        redact_url(self.url.expose_secret())
    }

    /// The SQLite file this configuration uses, if it uses SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        sqlite_path_of(self.url.expose_secret())
    }
}

fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(
        percent_decode_str(path).decode_utf8_lossy().into_owned(),
    ))
}

/// Masks the password of a URL (`postgres://user:***@host/db`); other URLs are returned as they are.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => raw.to_string(),
        Err(_) => "<unparseable URL>".to_string(),
    }
}

#[cfg(test)]
mod tests;
