//! Accepting connections so that slow or idle clients cannot use up the server: every
//! connection must send a whole request header within a deadline (after it opens, and again
//! after each response it keeps alive), and connections are capped in total and per client
//! address. A connection over a cap is closed at once, so the accept queue keeps moving for
//! everyone else. A trusted reverse proxy carries many clients' connections, so it is held to
//! the total cap only.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use mlx_manager_core::settings::{ServerSettings, TrustedProxies};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer;

/// File descriptors kept for everything but client connections: the database, logs, model and
/// download files, the hub client.
const RESERVED_FILE_DESCRIPTORS: u64 = 64;
/// The total cap when the open-file limit allows more.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// The limits one accept loop enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_total: usize,
    pub max_per_client: usize,
    /// Peers exempt from the per-client cap.
    pub trusted_proxies: TrustedProxies,
}

impl ConnectionLimits {
    /// The limits of the settings; the total cap stays below the open-file limit (raised to
    /// its hard maximum first), so the server never runs out of descriptors for its own work.
    pub fn from_settings(settings: &ServerSettings) -> Self {
        let file_limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let fitting = usize::try_from(file_limit.saturating_sub(RESERVED_FILE_DESCRIPTORS))
            .unwrap_or(usize::MAX)
            .max(1);
        let max_total = settings
            .max_connections
            .unwrap_or(DEFAULT_MAX_CONNECTIONS)
            .min(fitting);
        Self {
            header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs),
            max_total,
            max_per_client: settings.max_connections_per_client.min(max_total),
            trusted_proxies: settings.trusted_proxies.clone(),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits
/// for the open connections to finish (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let total = Arc::new(Semaphore::new(limits.max_total));
    let per_client = PerClient::new(limits.max_per_client);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let client_slot = if limits.trusted_proxies.contains(remote.ip()) {
            None
        } else if let Some(slot) = per_client.take(remote.ip()) {
            Some(slot)
        } else {
            tracing::debug!(client = %remote.ip(), "connection refused: too many from this client");
            continue;
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            tracing::warn!(
                limit = limits.max_total,
                "connection refused: the server is at its connection limit"
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service =
            TowerToHyperService::new(axum::Extension(ConnectInfo(remote)).layer(router.clone()));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and resets are how clients and the header deadline end connections.
                tracing::debug!(%error, "connection closed with an error");
            }
            drop((permit, client_slot));
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Out of descriptors (or another transient failure): pause instead of spinning, so the
/// connections being served can finish and free some.
async fn wait_after_accept_error(error: &io::Error) {
    match error.kind() {
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset => {}
        _ => {
            tracing::warn!(%error, "cannot accept a connection; pausing");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Open connections per client address.
#[derive(Clone)]
struct PerClient {
    limit: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's place in its client's count; freed on drop.
struct ClientSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClient {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            open: Arc::default(),
        }
    }

    fn take(&self, ip: IpAddr) -> Option<ClientSlot> {
        let mut open = self.open.lock().expect("connection counts");
        let count = open.entry(ip).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            ip,
            open: self.open.clone(),
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("connection counts");
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_share_and_frees_it_on_close() {
        let per_client = PerClient::new(2);
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let other: IpAddr = "127.0.0.3".parse().unwrap();
        let first = per_client.take(ip).unwrap();
        let _second = per_client.take(ip).unwrap();
        assert!(per_client.take(ip).is_none(), "a third is over the cap");
        assert!(
            per_client.take(other).is_some(),
            "other clients are not affected"
        );
        drop(first);
        assert!(
            per_client.take(ip).is_some(),
            "a closed connection frees its place"
        );
    }

    #[test]
    fn the_total_cap_stays_below_the_open_file_limit() {
        let settings = ServerSettings {
            host: [127, 0, 0, 1].into(),
            port: 0,
            cors_allowed_origins: Vec::new(),
            request_timeout_secs: 30,
            body_limit_bytes: 1 << 20,
            shutdown_timeout_secs: 1,
            header_read_timeout_secs: 7,
            max_connections: Some(usize::MAX),
            max_connections_per_client: usize::MAX,
            allowed_hosts: mlx_manager_core::settings::AllowedHosts::Any,
            trusted_proxies: Default::default(),
            metrics_listen: None,
        };
        let limits = ConnectionLimits::from_settings(&settings);
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert!((limits.max_total as u64) < soft);
        assert_eq!(limits.max_per_client, limits.max_total);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(7));
    }
}
