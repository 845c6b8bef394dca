//! Embedding MLX Manager: another Rust program starts the whole server (database, auth,
//! downloads, API, web UI) through the same composition root `mlx-manager serve` uses, talks to
//! it, and stops it.
//!
//! ```bash
//! cargo run -p mlx-manager --example embed -- /tmp/mlx-manager-embedded
//! ```
//!
//! It serves on a free loopback port with the given data directory (a SQLite database is
//! created there), checks `/health` over HTTP, then shuts down gracefully. It exits non-zero if
//! anything fails, so the end-to-end tests run it.

use std::path::PathBuf;
use std::process::ExitCode;

use mlx_manager::{Application, Shutdown, Stopped};
use mlx_manager_core::Settings;
use mlx_manager_core::settings::Overrides;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(data_dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: embed <data dir>");
        return ExitCode::from(2);
    };
    match run(data_dir).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(data_dir: PathBuf) -> Result<(), String> {
    let settings = Settings::load(&Overrides {
        host: Some("127.0.0.1".into()),
        port: Some(0),
        data_dir: Some(data_dir),
        database_url: None,
    })
    .map_err(|e| e.to_string())?;
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    let address = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(Shutdown::when(async {
        let _ = stopped.await;
    })));

    let health = get(address, "/health").await?;
    println!("{}", health.lines().next().unwrap_or_default());
    let body = health.split("\r\n\r\n").nth(1).unwrap_or_default();
    let status: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("/health is not JSON: {e}: {body}"))?;
    println!("health: {status}");
    if status["status"] != "healthy" {
        return Err(format!("the embedded server is not healthy: {status}"));
    }

    let _ = stop.send(());
    match server.await.map_err(|e| e.to_string())? {
        Ok(Stopped::Gracefully) => println!("stopped"),
        Ok(Stopped::Forced(_)) => return Err("requests outlived the grace period".into()),
        Err(error) => return Err(error.to_string()),
    }
    Ok(())
}

/// A plain HTTP/1.1 GET, so the example needs no HTTP client crate.
async fn get(address: std::net::SocketAddr, path: &str) -> Result<String, String> {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .map_err(|e| e.to_string())?;
    Ok(response)
}
