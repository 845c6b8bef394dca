use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The binary under test: `MLX_MANAGER_BIN`, or `mlx-manager` beside the test's target directory.
pub fn binary_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MLX_MANAGER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test binary> -> target/<profile>/mlx-manager
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let binary = profile_dir.join("mlx-manager");
    assert!(
        binary.exists(),
        "{} does not exist: build it first (`cargo build -p mlx-manager`; `cargo xtask test` does)",
        binary.display()
    );
    binary
}

/// The binary with an environment that ignores the developer's own configuration, for tests
/// that drive a command themselves (signals, timing).
pub fn cli_command(data_dir: &Path) -> Command {
    clean_command(data_dir)
}

/// Environment for a child that ignores the developer's own configuration.
fn clean_command(data_dir: &Path) -> Command {
    clean_environment(Command::new(binary_path()), data_dir)
}

/// The binary under a shell that first lowers the open-file limit (soft and hard) to `limit`.
fn command_with_file_limit(data_dir: &Path, limit: u64) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(binary_path());
    clean_environment(command, data_dir)
}

fn clean_environment(mut command: Command, data_dir: &Path) -> Command {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("MLX_MANAGER_") || key.starts_with("HF_") {
            command.env_remove(key.as_ref());
        }
    }
    command
        .env("HOME", data_dir.parent().unwrap_or(data_dir))
        .env("MLX_MANAGER_DATA_DIR", data_dir)
        .env("MLX_MANAGER_LOG_LEVEL", "info")
        .env("HF_HUB_OFFLINE", "1");
    command
}

#[derive(Default, Clone)]
pub struct SpawnOptions {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub database_url: Option<String>,
    /// `ulimit -n` for the server process.
    pub open_file_limit: Option<u64>,
}

impl SpawnOptions {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    pub fn open_file_limit(mut self, limit: u64) -> Self {
        self.open_file_limit = Some(limit);
        self
    }
}

/// A running server. Killed when dropped.
pub struct TestApp {
    pub address: SocketAddr,
    pub base_url: String,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    child: Child,
    stderr_path: PathBuf,
    options: SpawnOptions,
    temp: Option<TempDir>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(SpawnOptions::default()).await
    }

    pub async fn spawn_with(options: SpawnOptions) -> Self {
        tokio::task::spawn_blocking(move || Self::spawn_blocking(options))
            .await
            .expect("spawn task")
    }

    fn spawn_blocking(options: SpawnOptions) -> Self {
        Self::spawn_in(tempfile::tempdir().expect("tempdir"), options)
    }

    /// Stops the server (SIGTERM, as a service manager would) and starts it again on the same
    /// data directory and options.
    pub async fn restart(mut self) -> Self {
        self.terminate();
        let stopped = self.wait_exit(Duration::from_secs(15));
        assert!(
            stopped.is_some_and(|s| s.success()),
            "clean stop before restart"
        );
        self.restart_stopped().await
    }

    /// Starts a server that was stopped (by the test) again on the same data directory.
    pub async fn restart_stopped(mut self) -> Self {
        let temp = self.temp.take().expect("temp dir");
        let options = self.options.clone();
        tokio::task::spawn_blocking(move || Self::spawn_in(temp, options))
            .await
            .expect("restart task")
    }

    fn spawn_in(temp: TempDir, options: SpawnOptions) -> Self {
        let data_dir = temp.path().join("data");
        let stderr_path = temp.path().join("stderr.log");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .expect("stderr log");
        let mut command = match options.open_file_limit {
            Some(limit) => command_with_file_limit(&data_dir, limit),
            None => clean_command(&data_dir),
        };
        command
            .arg("serve")
            .arg("--port")
            .arg("0")
            .args(&options.args);
        if let Some(url) = &options.database_url {
            command.env("MLX_MANAGER_DATABASE_URL", url);
        }
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start mlx-manager");

        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = sender.send(line);
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "mlx-manager did not print its URL; stderr:\n{}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
        };
        let base_url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        let address = base_url
            .trim_start_matches("http://")
            .parse()
            .expect("socket address");
        Self {
            address,
            base_url,
            data_dir,
            client: reqwest::Client::new(),
            child,
            stderr_path,
            options,
            temp: Some(temp),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GETs a JSON document, returning the status and the parsed body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM (what a service manager does to stop it).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Kills the process outright (SIGKILL: no chance to save anything) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit, returning its status, or `None` after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What the server wrote to stderr so far (its log).
    pub fn stderr(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.stderr_path) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion (for commands and for startups that must fail), with a
/// fresh data directory unless `MLX_MANAGER_DATA_DIR` is given in `env`.
pub fn run_cli(args: &[&str], env: &[(&str, &str)], timeout: Duration) -> Output {
    run_cli_with_input(args, env, None, timeout)
}

/// Like [`run_cli`], writing `input` to the command's standard input.
pub fn run_cli_with_input(
    args: &[&str],
    env: &[(&str, &str)],
    input: Option<&str>,
    timeout: Duration,
) -> Output {
    let temp = tempfile::tempdir().expect("tempdir");
    let mut command = clean_command(&temp.path().join("data"));
    let stdin = if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    command
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start mlx-manager");
    if let (Some(input), Some(mut pipe)) = (input, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    // Drain the pipes while waiting: a command that prints more than a pipe holds would block.
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(timeout) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let output = receiver.recv().expect("killed command").expect("output");
            panic!(
                "`mlx-manager {}` did not finish within {timeout:?}; stderr:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
