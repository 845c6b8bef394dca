//! Starting, failing to start, and stopping the real binary.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use mlx_manager_tests::tcp_proxy::TcpProxy;
use mlx_manager_tests::{SpawnOptions, TestApp, postgres, run_cli};

use crate::helpers::{assert_one_clear_line, stderr_of};

const QUICK: Duration = Duration::from_secs(20);

#[test]
fn version_flag_prints_the_version() {
    let output = run_cli(&["--version"], &[], QUICK);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim(),
        format!("mlx-manager {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn first_run_creates_a_private_data_dir_holding_the_sqlite_database() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let mode = std::fs::metadata(&app.data_dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "data dir mode {mode:o}");
    assert!(app.data_dir.join("mlx-manager.db").exists());
}

#[tokio::test]
async fn a_second_instance_on_a_taken_port_fails_cleanly() {
    let app = TestApp::spawn().await;
    let port = app.address.port().to_string();
    let output =
        tokio::task::spawn_blocking(move || run_cli(&["serve", "--port", &port], &[], QUICK))
            .await
            .unwrap();
    assert_one_clear_line(&output, "cannot listen on");
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "the first instance keeps serving"
    );
}

#[test]
fn an_unusable_data_dir_fails_cleanly() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let inside_a_file = file.join("data");
    let output = run_cli(
        &[
            "serve",
            "--port",
            "0",
            "--data-dir",
            inside_a_file.to_str().unwrap(),
        ],
        &[],
        QUICK,
    );
    assert_one_clear_line(&output, "data directory");
}

#[test]
fn an_unreachable_database_fails_cleanly_within_a_bound() {
    let started = Instant::now();
    let output = run_cli(
        &["serve", "--port", "0"],
        &[(
            "MLX_MANAGER_DATABASE_URL",
            "postgres://nobody:s3cret-pw@127.0.0.1:9/mlx",
        )],
        QUICK,
    );
    assert_one_clear_line(&output, "database");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        !stderr_of(&output).contains("s3cret-pw"),
        "the password leaked"
    );
}

#[test]
fn an_invalid_setting_fails_naming_the_key() {
    let output = run_cli(&["serve"], &[("MLX_MANAGER_PORT", "ninety")], QUICK);
    assert_eq!(output.status.code(), Some(2));
    assert_one_clear_line(&output, "port");
    assert!(stderr_of(&output).contains("MLX_MANAGER_PORT"));
}

#[tokio::test]
async fn config_file_in_the_data_dir_is_read_and_flags_override_it() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::write(
        data_dir.join("config.toml"),
        "port = 1\nhost = \"256.0.0.1\"\n",
    )
    .unwrap();
    let data_dir_arg = data_dir.to_str().unwrap().to_string();
    // The file's bad host is reported, naming the key: proof the file is read.
    let output = run_cli(&["serve", "--data-dir", &data_dir_arg], &[], QUICK);
    assert_one_clear_line(&output, "host");
    // Flags win over the file.
    let app = TestApp::spawn_with(SpawnOptions {
        args: vec![
            "--data-dir".into(),
            data_dir_arg,
            "--host".into(),
            "127.0.0.1".into(),
        ],
        ..SpawnOptions::default()
    })
    .await;
    assert_eq!(app.get("/health").await.status(), 200);
}

/// A server on PostgreSQL reached through a proxy, and a `/health` request left hanging on it:
/// the health check waits up to its 2 s bound for the frozen database, so the request is in
/// flight when the signal arrives.
async fn server_with_a_request_in_flight(
    extra: SpawnOptions,
) -> (
    TestApp,
    TcpProxy,
    tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>,
) {
    let url = postgres::fresh_database().await;
    let proxy = TcpProxy::start(postgres::address_of(&url)).await;
    let app = TestApp::spawn_with(extra.database_url(postgres::via(&url, proxy.address))).await;
    assert_eq!(app.get("/health").await.status(), 200);
    proxy.freeze();
    // Let the last probe result (reused for up to 0.5 s) go stale.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let request = app.client.get(app.url("/health")).send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !in_flight.is_finished(),
        "the request should still be waiting on the database"
    );
    (app, proxy, in_flight)
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let (mut app, _proxy, in_flight) =
        server_with_a_request_in_flight(SpawnOptions::default()).await;
    app.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        app.is_running(),
        "the server must wait for the request in flight"
    );
    assert!(
        TcpStream::connect(app.address).is_err(),
        "no new connections are accepted after the signal"
    );
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight response arrives");
    assert_eq!(
        response.status(),
        503,
        "the health check reports the hung database"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"]["reachable"], false);
    let status = app
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the response");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn shutdown_waits_no_longer_than_its_bound_for_requests_in_flight() {
    let bound = SpawnOptions::default().env("MLX_MANAGER_SHUTDOWN_TIMEOUT_SECS", "1");
    let (mut app, _proxy, in_flight) = server_with_a_request_in_flight(bound).await;
    let signalled = Instant::now();
    app.terminate();
    let status = app
        .wait_exit(Duration::from_secs(10))
        .expect("exits within its bound");
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took >= Duration::from_millis(900),
        "left before the bound: {took:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "shutdown overran its bound: {took:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(5), in_flight)
            .await
            .unwrap()
            .unwrap()
            .is_err(),
        "the request that outlived the bound was cut off, not answered"
    );
}

#[tokio::test]
async fn sigterm_on_an_idle_sqlite_server_exits_promptly_and_checkpoints_the_database() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.get("/health").await.status(), 200);
    app.terminate();
    let status = app
        .wait_exit(Duration::from_secs(5))
        .expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(app.stderr().contains("stopped"), "{}", app.stderr());
    assert!(
        !app.data_dir.join("mlx-manager.db-wal").exists(),
        "the database was closed cleanly (WAL checkpointed and removed)"
    );
}

#[tokio::test]
async fn sigint_stops_an_idle_server_promptly() {
    let mut app = TestApp::spawn().await;
    std::process::Command::new("kill")
        .args(["-INT", &app.pid().to_string()])
        .status()
        .unwrap();
    let status = app
        .wait_exit(Duration::from_secs(5))
        .expect("exits on SIGINT");
    assert!(status.success());
}
