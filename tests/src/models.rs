//! Helpers for the model and download tests: a server wired to a fake hub, fixtures, the
//! project's Python venv, and waiting for download states.

use std::path::{Path, PathBuf};

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fake_hub::FakeHub;
use crate::{SpawnOptions, TestApp};

pub use crate::fake_hub::{fixture, workspace_root};

/// The Python of the project's venv (with `huggingface_hub`).
pub fn python() -> PathBuf {
    let path = workspace_root().join(".venv/bin/python");
    assert!(path.exists(), "{} is missing: run ./setup", path.display());
    path
}

/// A Hugging Face home the test owns, shared by the server, the CLI and Python.
pub struct HfHome {
    pub dir: TempDir,
}

impl HfHome {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("hf home"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<HF_HOME>/hub/models--org--name`.
    pub fn repo_dir(&self, repo_id: &str) -> PathBuf {
        self.path()
            .join("hub")
            .join(format!("models--{}", repo_id.replace('/', "--")))
    }

    /// The environment that points a process at this home and the hub.
    pub fn env(&self, hub: &FakeHub) -> Vec<(String, String)> {
        vec![
            ("HF_HOME".into(), self.path().display().to_string()),
            ("HF_ENDPOINT".into(), hub.url()),
            ("HF_HUB_OFFLINE".into(), "0".into()),
        ]
    }
}

impl Default for HfHome {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts the server against the hub, with short timeouts so fault tests stay quick.
pub async fn spawn_with_hub(hub: &FakeHub, home: &HfHome, extra: &[(&str, &str)]) -> TestApp {
    let mut options = SpawnOptions::default()
        .env("MLX_MANAGER_DOWNLOAD_STALL_TIMEOUT_SECS", "2")
        .env("MLX_MANAGER_HUB_REQUEST_TIMEOUT_SECS", "3");
    for (key, value) in home.env(hub) {
        options = options.env(&key, &value);
    }
    for (key, value) in extra {
        options = options.env(key, value);
    }
    TestApp::spawn_with(options).await
}

impl TestApp {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.authed(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/models/download`; returns (status, download).
    pub async fn start_download(&self, token: &str, model_id: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            "/api/models/download",
            token,
            Some(json!({ "model_id": model_id })),
        )
        .await
    }

    pub async fn download(&self, token: &str, id: i64) -> Value {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/api/models/downloads/{id}"),
                token,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls a download until `done` holds, failing with its last state after `timeout`.
    pub async fn wait_download(
        &self,
        token: &str,
        id: i64,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let body = self.download(token, id).await;
            if done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "download {id} did not reach the expected state: {body}\nserver log:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_status(
        &self,
        token: &str,
        id: i64,
        status: &str,
        timeout: Duration,
    ) -> Value {
        self.wait_download(token, id, timeout, |d| d["status"] == status)
            .await
    }
}

/// Asserts that every file of `fixture` is in `snapshot` with the same bytes, and nothing else.
pub fn assert_same_files(snapshot: &Path, fixture: &Path) {
    let mut expected: Vec<_> = std::fs::read_dir(fixture)
        .expect("fixture")
        .map(|e| e.expect("entry").file_name())
        .collect();
    let mut actual: Vec<_> = std::fs::read_dir(snapshot)
        .unwrap_or_else(|e| panic!("{}: {e}", snapshot.display()))
        .map(|e| e.expect("entry").file_name())
        .collect();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected, "files of {}", snapshot.display());
    for name in expected {
        let want = std::fs::read(fixture.join(&name)).expect("fixture file");
        let got = std::fs::read(snapshot.join(&name)).expect("snapshot file");
        assert!(want == got, "{name:?} differs");
    }
}

/// Runs Python from the venv with the given environment; returns stdout, failing on error.
pub fn run_python(code: &str, env: &[(String, String)]) -> String {
    let mut command = Command::new(python());
    command.arg("-c").arg(code);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HF_") {
            command.env_remove(key);
        }
    }
    command
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run python");
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// How long download tests wait for a state before failing.
pub const LONG: Duration = Duration::from_secs(60);

/// Bytes of every file of a fixture model.
pub fn fixture_size(name: &str) -> u64 {
    std::fs::read_dir(fixture(name))
        .expect("fixture")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

/// The id of a download as the API returns it.
pub fn id_of(download: &Value) -> i64 {
    download["id"].as_i64().expect("download id")
}

impl HfHome {
    /// Puts a fixture into this cache as a complete snapshot of `repo_id` (files linked, the
    /// `main` ref written), as if it had been downloaded.
    pub fn install(&self, repo_id: &str, fixture_name: &str) -> PathBuf {
        let snapshot = self.snapshot(repo_id, "0123456789abcdef0123456789abcdef01234567");
        for entry in std::fs::read_dir(fixture(fixture_name))
            .expect("fixture")
            .flatten()
        {
            let target = snapshot.join(entry.file_name());
            if !target.exists() {
                std::os::unix::fs::symlink(entry.path(), &target).expect("link a fixture file");
            }
        }
        snapshot
    }

    /// Like [`HfHome::install`] but with real copies, so a test can break them.
    pub fn install_copy(&self, repo_id: &str, fixture_name: &str) -> PathBuf {
        let snapshot = self.snapshot(repo_id, "89abcdef0123456789abcdef0123456789abcdef");
        for entry in std::fs::read_dir(fixture(fixture_name))
            .expect("fixture")
            .flatten()
        {
            std::fs::copy(entry.path(), snapshot.join(entry.file_name())).expect("copy");
        }
        snapshot
    }

    /// An empty snapshot directory of `repo_id` at `commit`, with `main` pointing at it.
    fn snapshot(&self, repo_id: &str, commit: &str) -> PathBuf {
        let repo = self.repo_dir(repo_id);
        let snapshot = repo.join("snapshots").join(commit);
        std::fs::create_dir_all(&snapshot).expect("snapshot dir");
        std::fs::create_dir_all(repo.join("refs")).expect("refs dir");
        std::fs::write(repo.join("refs/main"), commit).expect("ref");
        snapshot
    }
}

/// Starts the server on this cache, offline (no hub needed).
pub async fn spawn_offline(home: &HfHome, extra: &[(&str, &str)]) -> TestApp {
    let mut options = SpawnOptions::default()
        .env("HF_HOME", &home.path().display().to_string())
        .env("HF_HUB_OFFLINE", "1");
    for (key, value) in extra {
        options = options.env(key, value);
    }
    TestApp::spawn_with(options).await
}
