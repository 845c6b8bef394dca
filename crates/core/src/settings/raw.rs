//! The settings as the sources give them (flags, variables, `config.toml`), before they are
//! checked, with the default of each.

use std::net::Ipv4Addr;

use figment::value::magic::RelativePathBuf;
use serde::Deserialize;

use super::{LogFormat, de};

const DEFAULT_PORT: u16 = 10242;

/// Settings as they come out of the sources, before validation.
#[derive(Deserialize)]
pub(super) struct RawSettings {
    #[serde(default = "default_host")]
    pub(super) host: String,
    #[serde(default = "default_port")]
    pub(super) port: u16,
    pub(super) database_url: Option<String>,
    #[serde(default = "default_log_level")]
    pub(super) log_level: String,
    #[serde(default = "default_log_format")]
    pub(super) log_format: LogFormat,
    pub(super) hf_home: Option<RelativePathBuf>,
    pub(super) hf_hub_cache: Option<RelativePathBuf>,
    pub(super) hf_token: Option<String>,
    #[serde(default = "default_download_concurrent_jobs")]
    pub(super) download_concurrent_jobs: usize,
    #[serde(default = "default_download_concurrent_files")]
    pub(super) download_concurrent_files: usize,
    #[serde(default = "default_download_stall_timeout_secs")]
    pub(super) download_stall_timeout_secs: u64,
    #[serde(default = "default_hub_request_timeout_secs")]
    pub(super) hub_request_timeout_secs: u64,
    #[serde(default = "default_hf_endpoint")]
    pub(super) hf_endpoint: String,
    #[serde(default, deserialize_with = "de::flexible_bool")]
    pub(super) hf_hub_offline: bool,
    #[serde(default, deserialize_with = "de::string_list")]
    pub(super) cors_allowed_origins: Vec<String>,
    #[serde(default = "default_request_timeout_secs")]
    pub(super) request_timeout_secs: u64,
    #[serde(default = "default_body_limit_bytes")]
    pub(super) body_limit_bytes: usize,
    #[serde(default = "default_shutdown_timeout_secs")]
    pub(super) shutdown_timeout_secs: u64,
    #[serde(default = "default_header_read_timeout_secs")]
    pub(super) header_read_timeout_secs: u64,
    pub(super) max_connections: Option<usize>,
    #[serde(default = "default_max_connections_per_client")]
    pub(super) max_connections_per_client: usize,
    #[serde(default, deserialize_with = "de::string_list")]
    pub(super) allowed_hosts: Vec<String>,
    #[serde(default, deserialize_with = "de::string_list")]
    pub(super) trusted_proxies: Vec<String>,
    pub(super) jwt_secret: Option<String>,
    #[serde(default = "default_jwt_lifetime_secs")]
    pub(super) jwt_lifetime_secs: u64,
    #[serde(default = "default_chat_timeout_secs")]
    pub(super) chat_timeout_secs: u64,
    #[serde(default = "default_completions_timeout_secs")]
    pub(super) completions_timeout_secs: u64,
    #[serde(default = "default_embeddings_timeout_secs")]
    pub(super) embeddings_timeout_secs: u64,
    pub(super) metrics_listen: Option<String>,
    #[serde(default = "default_audit_retention_days")]
    pub(super) audit_retention_days: u64,
    #[serde(default = "default_audit_max_rows")]
    pub(super) audit_max_rows: u64,
}

fn default_host() -> String {
    Ipv4Addr::LOCALHOST.to_string()
}
fn default_port() -> u16 {
    DEFAULT_PORT
}
fn default_log_level() -> String {
    "info".into()
}
fn default_log_format() -> LogFormat {
    LogFormat::Text
}
fn default_hf_endpoint() -> String {
    "https://huggingface.co".into()
}
fn default_request_timeout_secs() -> u64 {
    30
}
fn default_body_limit_bytes() -> usize {
    2 * 1024 * 1024
}
fn default_shutdown_timeout_secs() -> u64 {
    10
}
fn default_header_read_timeout_secs() -> u64 {
    15
}
fn default_max_connections_per_client() -> usize {
    128
}
fn default_download_concurrent_jobs() -> usize {
    2
}
fn default_download_concurrent_files() -> usize {
    4
}
fn default_download_stall_timeout_secs() -> u64 {
    30
}
fn default_hub_request_timeout_secs() -> u64 {
    15
}
fn default_jwt_lifetime_secs() -> u64 {
    7 * 24 * 60 * 60
}
// The original's limits for the model API.
fn default_chat_timeout_secs() -> u64 {
    900
}
fn default_completions_timeout_secs() -> u64 {
    600
}
fn default_embeddings_timeout_secs() -> u64 {
    120
}
fn default_audit_retention_days() -> u64 {
    90
}
fn default_audit_max_rows() -> u64 {
    1_000_000
}
