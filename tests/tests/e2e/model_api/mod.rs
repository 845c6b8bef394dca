//! The model API (`/v1`) through the real binary and the real engine: the official Python
//! clients unchanged, the wire format they depend on, parity with mlx-lm, and what happens
//! under load, disconnects, time limits and permissions.

mod anthropic_client;
mod batching;
mod cli_chat;
mod embeddings;
mod load_and_limits;
mod logprobs;
mod openai_client;
mod reasoning;
mod tools;
mod wire;

use std::time::{Duration, Instant};

use mlx_manager_tests::TestApp;
use mlx_manager_tests::models::{HfHome, python, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

/// Runs a Python script of this folder with the venv's Python (which has `openai` and
/// `anthropic`), `env` added; returns its stdout as JSON.
pub async fn run_script(script: &'static str, env: Vec<(&'static str, String)>) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(python());
        command.arg("-c").arg(script);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("run python")
    })
    .await
    .expect("python task");
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A server with SmolLM2 in its cache and the profile `smol` for it: the cache (keep it while
/// the server runs), the server, an admin's token and an API key of theirs.
pub async fn smol_server() -> (HfHome, TestApp, String, String) {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    profile(&app, &admin, "smol", "test-org/smollm2").await;
    let key = api_key(&app, &admin).await;
    (home, app, admin, key)
}

/// Creates a profile; returns its id.
pub async fn profile(app: &TestApp, token: &str, name: &str, model: &str) -> i64 {
    let (status, created) = app
        .call(
            Method::POST,
            "/api/profiles",
            token,
            Some(json!({"name": name, "model": model})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

/// The pool's entry for `model`, if it is in the pool.
pub async fn pool_model(app: &TestApp, token: &str, model: &str) -> Option<Value> {
    let (status, servers) = app.call(Method::GET, "/api/servers", token, None).await;
    assert_eq!(status, 200, "{servers}");
    servers
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["model"] == model)
        .cloned()
}

/// Waits until `check` holds for the pool's entry of `model` (`None` when it left the pool).
pub async fn wait_pool(
    app: &TestApp,
    token: &str,
    model: &str,
    within: Duration,
    what: &str,
    check: impl Fn(Option<&Value>) -> bool,
) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let entry = pool_model(app, token, model).await;
        if check(entry.as_ref()) {
            return entry;
        }
        assert!(
            Instant::now() < deadline,
            "{model} never {what} within {within:?}: {entry:?}\n{}",
            app.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A new API key of the token's user (what clients of the model API are given).
pub async fn api_key(app: &TestApp, token: &str) -> String {
    let (status, created) = app
        .call(
            Method::POST,
            "/api/auth/api-keys",
            token,
            Some(json!({"name": "model api client"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["key"].as_str().unwrap().to_string()
}
