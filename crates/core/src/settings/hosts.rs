//! Which `Host` names the server answers to (against DNS rebinding): the type and how the
//! setting is read.

use std::net::IpAddr;

use crate::CoreError;

/// The `Host` values the server answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    Any,
    /// Lower-case host names or IP literals (IPv6 without brackets), ports ignored.
    Only(Vec<String>),
}

impl AllowedHosts {
    /// Whether a `Host` header value (with or without a port) is allowed.
    pub fn allows(&self, host_header: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Only(names) => {
                let host = host_without_port(host_header).to_ascii_lowercase();
                let host = host.trim_end_matches('.');
                names.iter().any(|name| name == host)
            }
        }
    }
}

/// `example.com:80` → `example.com`; `[::1]:80` → `::1`; a bare IPv6 stays whole.
fn host_without_port(value: &str) -> &str {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => value,
    }
}

/// The configured host names, else the loopback names and the address the server is bound to
/// (an unspecified bind address, `0.0.0.0` or `::`, adds nothing: list the machine's names).
pub(super) fn parse(configured: &[String], bound: IpAddr) -> Result<AllowedHosts, CoreError> {
    let mut names: Vec<String> = Vec::new();
    for raw in configured {
        let name = raw.trim().trim_matches(['[', ']']).to_ascii_lowercase();
        if name == "*" {
            return Ok(AllowedHosts::Any);
        }
        if name.is_empty() || name.contains(['/', ' ', '@']) {
            return Err(super::load::invalid(
                "allowed_hosts",
                format!("{raw:?} is not a host name or IP address"),
            ));
        }
        names.push(name);
    }
    if names.is_empty() {
        names.extend(["localhost", "127.0.0.1", "::1"].map(String::from));
        if !bound.is_unspecified() && !bound.is_loopback() {
            names.push(bound.to_string());
        }
    }
    Ok(AllowedHosts::Only(names))
}
