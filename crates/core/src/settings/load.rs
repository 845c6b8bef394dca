use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;

use super::raw::RawSettings;
use super::{
    AuditSettings, AuthSettings, DatabaseSettings, DownloadSettings, HubSettings, HubTokenSource,
    LogSettings, ModelApiSettings, ServerSettings, Settings,
};
use crate::CoreError;

pub const CONFIG_FILE_NAME: &str = "config.toml";
const ENV_PREFIX: &str = "MLX_MANAGER_";

/// Values given on the command line; they win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

/// The few process variables needed to compute defaults (passed in so tests stay hermetic).
pub struct ProcessEnv {
    pub(super) home: Option<PathBuf>,
    pub(super) xdg_cache_home: Option<PathBuf>,
    pub(super) data_dir: Option<PathBuf>,
}

pub fn process_env() -> ProcessEnv {
    let path = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    ProcessEnv {
        home: path("HOME"),
        xdg_cache_home: path("XDG_CACHE_HOME"),
        data_dir: path("MLX_MANAGER_DATA_DIR"),
    }
}

pub fn load(overrides: &Overrides, env: &ProcessEnv) -> Result<Settings, CoreError> {
    let home = env.home.clone();
    let data_dir = overrides
        .data_dir
        .clone()
        .or_else(|| env.data_dir.clone())
        .map(|dir| expand_tilde(&dir, home.as_deref()))
        .or_else(|| home.as_ref().map(|h| h.join(".mlx-manager")))
        .ok_or_else(|| invalid("data_dir", "HOME is not set; pass --data-dir"))?;
    let data_dir = absolute(&data_dir)?;

    let config_file = data_dir.join(CONFIG_FILE_NAME);
    let mut figment = Figment::new();
    if config_file.exists() {
        figment = figment.merge(Toml::file_exact(config_file));
    }
    figment = figment
        .merge(Env::raw().only(&[
            "HF_HOME",
            "HF_HUB_CACHE",
            "HF_ENDPOINT",
            "HF_HUB_OFFLINE",
            "HF_TOKEN",
        ]))
        .merge(Env::prefixed(ENV_PREFIX).ignore(&["DATA_DIR"]));
    if let Some(host) = &overrides.host {
        figment = figment.merge(Serialized::default("host", host));
    }
    if let Some(port) = overrides.port {
        figment = figment.merge(Serialized::default("port", port));
    }
    if let Some(url) = &overrides.database_url {
        figment = figment.merge(Serialized::default("database_url", url));
    }
    let raw: RawSettings = figment.extract().map_err(describe)?;
    let token_in_config_file = figment
        .find_metadata("hf_token")
        .is_some_and(|metadata| metadata.name.contains("TOML"));
    let mut settings = validate(raw, data_dir, env)?;
    if settings.hub.token.is_some() {
        settings.hub.token_source = Some(match token_in_config_file {
            true => HubTokenSource::ConfigFile,
            false => HubTokenSource::Environment,
        });
    }
    Ok(settings)
}

fn validate(raw: RawSettings, data_dir: PathBuf, env: &ProcessEnv) -> Result<Settings, CoreError> {
    let host = match raw.host.trim() {
        "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other
            .parse()
            .map_err(|_| invalid("host", format!("{other:?} is not an IP address")))?,
    };

    let database_url = raw
        .database_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| Settings::default_database_url(&data_dir));
    let scheme = database_url.split(':').next().unwrap_or_default();
    if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
        return Err(invalid(
            "database_url",
            format!("unsupported scheme {scheme:?}; use sqlite:// or postgres://"),
        ));
    }

    let hf_home = match raw.hf_home {
        Some(path) => expand_tilde(&path.relative(), env.home.as_deref()),
        None => match (&env.xdg_cache_home, &env.home) {
            (Some(cache), _) => cache.join("huggingface"),
            (None, Some(home)) => home.join(".cache").join("huggingface"),
            (None, None) => data_dir.join("huggingface"),
        },
    };

    let hf_hub_cache = match raw.hf_hub_cache {
        Some(path) => expand_tilde(&path.relative(), env.home.as_deref()),
        None => hf_home.join("hub"),
    };

    let hf_endpoint = url::Url::parse(raw.hf_endpoint.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .ok_or_else(|| {
            invalid(
                "hf_endpoint",
                format!("{:?} is not an http(s) URL", raw.hf_endpoint),
            )
        })?;

    let cors_allowed_origins = raw
        .cors_allowed_origins
        .iter()
        .map(|origin| parse_origin(origin))
        .collect::<Result<Vec<_>, _>>()?;

    if raw.log_level.trim().is_empty() {
        return Err(invalid("log_level", "must not be empty"));
    }
    if raw.request_timeout_secs == 0 {
        return Err(invalid("request_timeout_secs", "must be at least 1"));
    }
    if raw.jwt_lifetime_secs < 60 {
        return Err(invalid("jwt_lifetime_secs", "must be at least 60"));
    }
    for (key, value) in [
        ("download_concurrent_jobs", raw.download_concurrent_jobs),
        ("download_concurrent_files", raw.download_concurrent_files),
    ] {
        if !(1..=64).contains(&value) {
            return Err(invalid(key, "must be between 1 and 64"));
        }
    }
    if raw.download_stall_timeout_secs == 0 || raw.hub_request_timeout_secs == 0 {
        let key = if raw.download_stall_timeout_secs == 0 {
            "download_stall_timeout_secs"
        } else {
            "hub_request_timeout_secs"
        };
        return Err(invalid(key, "must be at least 1"));
    }
    for (key, value) in [
        ("chat_timeout_secs", raw.chat_timeout_secs),
        ("completions_timeout_secs", raw.completions_timeout_secs),
        ("embeddings_timeout_secs", raw.embeddings_timeout_secs),
    ] {
        if value == 0 {
            return Err(invalid(key, "must be at least 1"));
        }
    }
    if raw.header_read_timeout_secs == 0 {
        return Err(invalid("header_read_timeout_secs", "must be at least 1"));
    }
    if raw.max_connections == Some(0) {
        return Err(invalid("max_connections", "must be at least 1"));
    }
    if raw.max_connections_per_client == 0 {
        return Err(invalid("max_connections_per_client", "must be at least 1"));
    }
    let allowed_hosts = super::hosts::parse(&raw.allowed_hosts, host)?;
    let trusted_proxies = super::proxies::parse(&raw.trusted_proxies)?;
    let metrics_listen = raw
        .metrics_listen
        .as_deref()
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .map(|address| {
            address.parse::<std::net::SocketAddr>().map_err(|_| {
                invalid(
                    "metrics_listen",
                    format!("{address:?} is not an address and port such as 127.0.0.1:9464"),
                )
            })
        })
        .transpose()?;
    if raw.audit_retention_days == 0 {
        return Err(invalid("audit_retention_days", "must be at least 1"));
    }
    if raw.audit_max_rows < 1000 {
        return Err(invalid("audit_max_rows", "must be at least 1000"));
    }
    if raw.body_limit_bytes < 1024 {
        return Err(invalid("body_limit_bytes", "must be at least 1024"));
    }

    Ok(Settings {
        data_dir,
        server: ServerSettings {
            host,
            port: raw.port,
            cors_allowed_origins,
            request_timeout_secs: raw.request_timeout_secs,
            body_limit_bytes: raw.body_limit_bytes,
            shutdown_timeout_secs: raw.shutdown_timeout_secs,
            header_read_timeout_secs: raw.header_read_timeout_secs,
            max_connections: raw.max_connections,
            max_connections_per_client: raw.max_connections_per_client,
            allowed_hosts,
            trusted_proxies,
            metrics_listen,
        },
        database: DatabaseSettings {
            url: database_url.into(),
        },
        log: LogSettings {
            level: raw.log_level,
            format: raw.log_format,
        },
        hub: HubSettings {
            home: hf_home,
            cache: hf_hub_cache,
            endpoint: hf_endpoint,
            offline: raw.hf_hub_offline,
            token: raw
                .hf_token
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
            token_source: None,
            request_timeout_secs: raw.hub_request_timeout_secs,
        },
        downloads: DownloadSettings {
            concurrent_jobs: raw.download_concurrent_jobs,
            concurrent_files: raw.download_concurrent_files,
            stall_timeout_secs: raw.download_stall_timeout_secs,
        },
        auth: AuthSettings {
            jwt_secret: raw
                .jwt_secret
                .filter(|s| !s.is_empty())
                .map(SecretString::from),
            jwt_lifetime_secs: raw.jwt_lifetime_secs,
        },
        model_api: ModelApiSettings {
            chat_timeout_secs: raw.chat_timeout_secs,
            completions_timeout_secs: raw.completions_timeout_secs,
            embeddings_timeout_secs: raw.embeddings_timeout_secs,
        },
        audit: AuditSettings {
            retention_days: raw.audit_retention_days,
            max_rows: raw.audit_max_rows,
        },
    })
}

/// An origin is a scheme, a host and an optional port: nothing else.
fn parse_origin(raw: &str) -> Result<url::Origin, CoreError> {
    let bad = || {
        invalid(
            "cors_allowed_origins",
            format!("{raw:?} is not an origin like https://host:port"),
        )
    };
    let parsed = url::Url::parse(raw).map_err(|_| bad())?;
    let bare = parsed.path() == "/" && parsed.query().is_none() && parsed.fragment().is_none();
    if !bare
        || !raw
            .trim_end_matches('/')
            .eq_ignore_ascii_case(&parsed.origin().ascii_serialization())
    {
        return Err(bad());
    }
    match parsed.origin() {
        origin @ url::Origin::Tuple(..) => Ok(origin),
        url::Origin::Opaque(_) => Err(bad()),
    }
}

fn expand_tilde(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, CoreError> {
    std::path::absolute(path).map_err(|e| invalid("data_dir", e.to_string()))
}

pub(super) fn invalid(key: &str, message: impl Into<String>) -> CoreError {
    CoreError::InvalidSetting {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Turns figment's error into one line naming the key and where its value came from.
fn describe(error: figment::Error) -> CoreError {
    let key = if error.path.is_empty() {
        CONFIG_FILE_NAME.to_string()
    } else {
        error.path.join(".")
    };
    let origin = error.metadata.as_ref().map(|meta| match &meta.source {
        Some(figment::Source::File(path)) => path.display().to_string(),
        _ if meta.name.contains(ENV_PREFIX) => format!("{ENV_PREFIX}{}", key.to_uppercase()),
        _ if meta.name.contains("environment") => key.to_uppercase(),
        _ => meta.name.to_string(),
    });
    let kind = error.kind.to_string();
    let kind = kind.split_whitespace().collect::<Vec<_>>().join(" ");
    let message = match origin {
        Some(origin) => format!("{kind} (from {origin})"),
        None => kind,
    };
    CoreError::InvalidSetting { key, message }
}
