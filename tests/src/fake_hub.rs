//! A fake Hugging Face hub: a real HTTP server on loopback that speaks the subset of the hub protocol
//! that downloaders use (see `shared/notes/hf-hub.md`), with fault injection.
//!
//! Two listeners: the hub itself (`/api/models…`, `/{org}/{name}/resolve/…`) and a "CDN" on another
//! port that LFS files redirect to, so that clients see a cross-host redirect as on the real hub.
//! Both run on a dedicated thread with their own Tokio runtime, so a test may block its own thread
//! (e.g. wait for a child process) without starving the hub.

mod api_routes;
mod body;
mod faults;
mod file_routes;
pub mod probe;
mod publish;
mod repo;
mod repo_json;
mod routes;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

pub use faults::Faults;

/// The workspace root (where `.fixtures/` and `.venv/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// `<workspace root>/.fixtures/<name>`; panics if it is missing (`./setup` creates the fixtures).
pub fn fixture(name: &str) -> PathBuf {
    let dir = workspace_root().join(".fixtures").join(name);
    assert!(
        dir.is_dir(),
        "fixture model {} is missing: run ./setup, which creates it",
        dir.display()
    );
    dir
}

/// What the hub says about a repository besides its files.
#[derive(Clone, Debug, Default)]
pub struct ModelCard {
    pub downloads: u64,
    pub likes: u64,
    /// Extra tags; `mlx` and `safetensors` are always there.
    pub tags: Vec<String>,
    /// Gated repositories need the token set by [`Faults::set_token`] to download files.
    pub gated: bool,
}

/// State shared by the test thread and the server tasks.
pub(crate) struct Shared {
    repos: Mutex<BTreeMap<String, repo::Repo>>,
    faults: Faults,
    cdn_url: String,
    publishes: AtomicU64,
    bytes_served: AtomicU64,
    bytes_per_file: Mutex<HashMap<(String, String), u64>>,
    file_requests: AtomicU64,
    log: Mutex<Vec<String>>,
}

impl Shared {
    fn count_bytes(&self, repo_id: &str, path: &str, bytes: u64) {
        self.bytes_served.fetch_add(bytes, Ordering::Relaxed);
        let mut per_file = self.bytes_per_file.lock().unwrap();
        *per_file
            .entry((repo_id.to_owned(), path.to_owned()))
            .or_default() += bytes;
    }
}

pub struct FakeHub {
    shared: Arc<Shared>,
    hub_address: SocketAddr,
    cdn_address: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    stopped: Mutex<Option<oneshot::Receiver<()>>>,
}

impl FakeHub {
    /// Starts the hub on 127.0.0.1:0 and a separate "CDN" listener on another 127.0.0.1 port
    /// (LFS files redirect there, so it is a different host:port, as on the real hub).
    pub async fn start() -> FakeHub {
        let hub = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake hub");
        let cdn = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake hub CDN");
        for listener in [&hub, &cdn] {
            listener
                .set_nonblocking(true)
                .expect("non-blocking listener");
        }
        let hub_address = hub.local_addr().expect("fake hub address");
        let cdn_address = cdn.local_addr().expect("fake hub CDN address");
        let shared = Arc::new(Shared {
            repos: Mutex::default(),
            faults: Faults::default(),
            cdn_url: format!("http://{cdn_address}"),
            publishes: AtomicU64::new(0),
            bytes_served: AtomicU64::new(0),
            bytes_per_file: Mutex::default(),
            file_requests: AtomicU64::new(0),
            log: Mutex::default(),
        });
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = oneshot::channel::<()>();
        let hub_router = routes::hub_router(shared.clone());
        let cdn_router = routes::cdn_router(shared.clone());
        std::thread::Builder::new()
            .name("fake-hub".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("fake-hub-worker")
                    .enable_all()
                    .build()
                    .expect("fake hub runtime");
                runtime.block_on(async move {
                    let hub = tokio::net::TcpListener::from_std(hub).expect("fake hub listener");
                    let cdn = tokio::net::TcpListener::from_std(cdn).expect("fake CDN listener");
                    tokio::spawn(async move { axum::serve(hub, hub_router).await });
                    tokio::spawn(async move { axum::serve(cdn, cdn_router).await });
                    let _ = ready_tx.send(());
                    // Also ends when the `FakeHub` is dropped (the sender goes away).
                    let _ = stop_rx.await;
                });
                // Dropping every task closes the listeners and all open connections.
                runtime.shutdown_timeout(Duration::from_secs(2));
                let _ = stopped_tx.send(());
            })
            .expect("spawn fake hub thread");
        ready_rx.await.expect("fake hub started");
        FakeHub {
            shared,
            hub_address,
            cdn_address,
            stop: Mutex::new(Some(stop_tx)),
            stopped: Mutex::new(Some(stopped_rx)),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the value for `HF_ENDPOINT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.hub_address)
    }

    /// `http://127.0.0.1:PORT` of the CDN listener that LFS files redirect to.
    pub fn cdn_url(&self) -> String {
        format!("http://{}", self.cdn_address)
    }

    /// Publishes the files of a local directory (recursively; relative paths with '/') as repo
    /// `repo_id` ("org/name") at a new commit that "main" points to, and returns its sha:
    /// sha1 of `"{repo_id}\n{n}"`, n the repo's revision counter (1, 2, …), so deterministic.
    /// Earlier commits stay reachable by their sha. Files under 16 MiB are read into memory now
    /// (changing the directory later does not change this commit); bigger ones are served from disk.
    /// Panics if `repo_id` is not `org/name` or the directory cannot be read.
    pub fn publish(&self, repo_id: &str, dir: &Path, card: ModelCard) -> String {
        let publish_index = self.shared.publishes.fetch_add(1, Ordering::SeqCst);
        let mut repos = self.shared.repos.lock().unwrap();
        publish::publish(&mut repos, repo_id, dir, card, publish_index)
    }

    /// Fault injection, settable at any time.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Bytes of file content sent so far (GET bodies, both hub and CDN).
    pub fn bytes_served(&self) -> u64 {
        self.shared.bytes_served.load(Ordering::SeqCst)
    }

    /// Bytes of file content sent so far for one file of one repo (any commit).
    pub fn bytes_served_for(&self, repo_id: &str, path: &str) -> u64 {
        let per_file = self.shared.bytes_per_file.lock().unwrap();
        per_file
            .get(&(repo_id.to_owned(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// GETs that started sending file content (200/206 on the hub's resolve or on the CDN); the
    /// 302s of LFS files, HEADs and errors are not counted.
    pub fn file_requests(&self) -> u64 {
        self.shared.file_requests.load(Ordering::SeqCst)
    }

    /// Every request seen so far, one line each: `hub GET /api/models?search=x -> 200`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Stops both listeners (connections refused afterwards, open ones cut) — "hub down".
    pub async fn stop(&self) {
        let stop = self.stop.lock().unwrap().take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
        let stopped = self.stopped.lock().unwrap().take();
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
    }
}
