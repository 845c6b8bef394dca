//! `/api/servers` and `/api/settings/pool` on the real engine: start → ready → health, eviction,
//! pinning, failures, settings and auto-start across restarts, events in order.

use std::time::{Duration, Instant};

use mlx_manager_tests::TestApp;
use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

async fn profile(app: &TestApp, token: &str, name: &str, model: &str, extra: Value) -> i64 {
    let mut body = json!({"name": name, "model": model});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let (status, created) = app
        .call(Method::POST, "/api/profiles", token, Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_i64().unwrap()
}

async fn status_of(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/servers/{id}/status"),
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn wait_state(app: &TestApp, token: &str, id: i64, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body = status_of(app, token, id).await;
        if body["state"] == state {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "server {id} never became {state}: {body}\n{}",
            app.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.call(Method::POST, path, token, None).await
}

#[tokio::test]
async fn a_started_profile_loads_answers_health_holds_its_model_and_stops() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let id = profile(&app, &admin, "tiny", "test-org/tiny-llama", json!({})).await;

    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/servers/{id}/health"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 409, "a health check never loads: {body}");

    let (status, started) = post(&app, &admin, &format!("/api/servers/{id}/start")).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["state"], "loading");
    let ready = wait_state(&app, &admin, id, "ready").await;
    let server = &ready["server"];
    assert!(server["memory_bytes"].as_u64().unwrap() > 0, "{ready}");
    assert!(server["estimated_bytes"].as_u64().unwrap() > 0, "{ready}");
    assert_eq!(server["profile_name"], "tiny");
    let (status, again) = post(&app, &admin, &format!("/api/servers/{id}/start")).await;
    assert_eq!((status, again["state"].as_str()), (200, Some("ready")));

    let (status, health) = app
        .call(
            Method::GET,
            &format!("/api/servers/{id}/health"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200, "{health}");
    assert!(health["response_time_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(health["tokens_generated"], 1);

    let (_, servers) = app.call(Method::GET, "/api/servers", &admin, None).await;
    let servers = servers.as_array().unwrap();
    assert_eq!(servers.len(), 1, "{servers:?}");
    assert_eq!(servers[0]["requests_served"], 1);
    assert_eq!(servers[0]["model"], "test-org/tiny-llama");
    let (_, memory) = app
        .call(Method::GET, "/api/servers/memory", &admin, None)
        .await;
    assert_eq!(memory["used_bytes"], servers[0]["memory_bytes"], "{memory}");
    assert!(
        memory["system_total_bytes"].as_u64().unwrap() > memory["limit_bytes"].as_u64().unwrap()
    );

    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/models/test-org/tiny-llama",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 409, "a loaded model is not deleted: {body}");

    let (status, _) = post(&app, &admin, &format!("/api/servers/{id}/stop")).await;
    assert_eq!(status, 204);
    assert_eq!(status_of(&app, &admin, id).await["state"], "stopped");
    let (status, body) = post(&app, &admin, &format!("/api/servers/{id}/restart")).await;
    assert_eq!(status, 409, "nothing to restart: {body}");
}

#[tokio::test]
async fn restart_loads_again_and_ten_concurrent_starts_share_one_load() {
    let home = HfHome::new();
    home.install("test-org/tiny-qwen3", "tiny-qwen3");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let id = profile(&app, &admin, "q", "test-org/tiny-qwen3", json!({})).await;
    let starts = (0..10).map(|_| {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/servers/{id}/start")),
            admin.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    for start in starts {
        let status = start.await.unwrap();
        assert!(status == 200 || status == 202, "{status}");
    }
    let first = wait_state(&app, &admin, id, "ready").await["server"]["loaded_at"].clone();
    let (_, servers) = app.call(Method::GET, "/api/servers", &admin, None).await;
    assert_eq!(servers.as_array().unwrap().len(), 1);
    let loads = app.stderr().matches("model loaded").count();
    assert_eq!(loads, 1, "one load for ten starts:\n{}", app.stderr());

    let (status, body) = post(&app, &admin, &format!("/api/servers/{id}/restart")).await;
    assert!(status == 200 || status == 202, "{body}");
    let second = wait_state(&app, &admin, id, "ready").await["server"]["loaded_at"].clone();
    assert_ne!(first, second, "restart really loaded again");
}

#[tokio::test]
async fn the_pool_evicts_the_idle_model_never_the_pinned_one_and_refuses_with_the_reason() {
    let home = HfHome::new();
    home.install("test-org/a", "tiny-llama");
    home.install("test-org/b", "tiny-qwen2");
    home.install("test-org/c", "tiny-qwen3");
    home.install("test-org/big", "smollm2-135m-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let a = profile(&app, &admin, "a", "test-org/a", json!({})).await;
    let b = profile(&app, &admin, "b", "test-org/b", json!({})).await;
    let pinned = profile(&app, &admin, "c", "test-org/c", json!({"auto_start": true})).await;
    let big = profile(&app, &admin, "big", "test-org/big", json!({})).await;
    let (status, settings) = app
        .call(
            Method::PUT,
            "/api/settings/pool",
            &admin,
            Some(json!({
                "memory_limit_bytes": null,
                "max_loaded_models": 2,
                "default_keep_alive_secs": -1,
                "max_queued_requests": 4,
                "max_batch_size": 8,
                "queue_timeout_secs": 30,
            })),
        )
        .await;
    assert_eq!(status, 200, "{settings}");

    post(&app, &admin, &format!("/api/servers/{pinned}/start")).await;
    wait_state(&app, &admin, pinned, "ready").await;
    post(&app, &admin, &format!("/api/servers/{a}/start")).await;
    wait_state(&app, &admin, a, "ready").await;
    // Two loaded, one pinned: b evicts a (idle), never c.
    post(&app, &admin, &format!("/api/servers/{b}/start")).await;
    wait_state(&app, &admin, b, "ready").await;
    assert_eq!(status_of(&app, &admin, a).await["state"], "stopped");
    assert_eq!(status_of(&app, &admin, pinned).await["state"], "ready");
    assert_eq!(
        status_of(&app, &admin, pinned).await["server"]["pinned"],
        true
    );

    // A memory limit the 4-bit SmolLM2 does not fit: refused, saying what it needs.
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/settings/pool",
            &admin,
            Some(json!({
                "memory_limit_bytes": 64 * 1024 * 1024,
                "max_loaded_models": 2,
                "default_keep_alive_secs": -1,
                "max_queued_requests": 4,
                "max_batch_size": 8,
                "queue_timeout_secs": 30,
            })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = post(&app, &admin, &format!("/api/servers/{big}/start")).await;
    assert_eq!(status, 409, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("needs") && detail.contains("test-org/c"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_corrupt_model_fails_with_its_error_while_another_keeps_serving() {
    let home = HfHome::new();
    home.install("test-org/good", "tiny-llama");
    let snapshot = home.install_copy("test-org/broken", "tiny-qwen3");
    std::fs::write(
        snapshot.join("model.safetensors"),
        b"not a safetensors file",
    )
    .unwrap();
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let good = profile(&app, &admin, "good", "test-org/good", json!({})).await;
    let broken = profile(&app, &admin, "broken", "test-org/broken", json!({})).await;
    post(&app, &admin, &format!("/api/servers/{good}/start")).await;
    wait_state(&app, &admin, good, "ready").await;
    let (status, body) = post(&app, &admin, &format!("/api/servers/{broken}/start")).await;
    assert_eq!(status, 202, "a broken model still starts loading: {body}");
    let failed = wait_state(&app, &admin, broken, "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("safetensors"),
        "{failed}"
    );
    let (status, health) = app
        .call(
            Method::GET,
            &format!("/api/servers/{good}/health"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200, "{health}");
}

#[tokio::test]
async fn pool_settings_survive_a_restart_and_auto_start_profiles_load_after_it() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let id = profile(
        &app,
        &admin,
        "boot",
        "test-org/tiny-llama",
        json!({"auto_start": true}),
    )
    .await;
    let settings = json!({
        "memory_limit_bytes": 2u64 << 30,
        "max_loaded_models": 3,
        "default_keep_alive_secs": 120,
        "max_queued_requests": 7,
        "max_batch_size": 5,
        "queue_timeout_secs": 9,
    });
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/settings/pool",
            &admin,
            Some(settings.clone()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    post(&app, &admin, &format!("/api/servers/{id}/start")).await;
    wait_state(&app, &admin, id, "ready").await;

    // A clean stop with a model loaded, then the profile comes back by itself.
    let app = app.restart().await;
    let admin = app
        .token_for(
            "admin@example.com",
            mlx_manager_tests::auth::STRONG_PASSWORD,
        )
        .await;
    let (_, stored) = app
        .call(Method::GET, "/api/settings/pool", &admin, None)
        .await;
    for field in [
        "memory_limit_bytes",
        "max_loaded_models",
        "default_keep_alive_secs",
        "max_queued_requests",
        "max_batch_size",
        "queue_timeout_secs",
    ] {
        assert_eq!(stored[field], settings[field], "{field}: {stored}");
    }
    let ready = wait_state(&app, &admin, id, "ready").await;
    assert_eq!(ready["server"]["pinned"], true);
}

#[tokio::test]
async fn server_events_report_loading_then_ready_in_order() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let id = profile(
        &app,
        &admin,
        "tiny",
        "test-org/tiny-llama",
        json!({"keep_alive_secs": 1}),
    )
    .await;
    let mut events = app
        .authed(Method::GET, "/api/servers/events", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    post(&app, &admin, &format!("/api/servers/{id}/start")).await;
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    // The model loads, becomes ready, and after its 1 s keep-alive leaves.
    while !text.contains("event: removed") {
        let chunk = tokio::time::timeout_at(deadline.into(), events.chunk())
            .await
            .expect("events in time")
            .unwrap()
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let mut ids = Vec::new();
    let mut states = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let field = |name: &str| {
            block
                .lines()
                .find_map(|l| {
                    l.strip_prefix(&format!("{name}: "))
                        .or_else(|| l.strip_prefix(&format!("{name}:")))
                })
                .map(str::to_string)
        };
        let Some(id) = field("id") else { continue };
        ids.push(id.parse::<u64>().unwrap());
        let data: Value = serde_json::from_str(&field("data").unwrap()).unwrap();
        let state = match data["type"].as_str().unwrap() {
            "changed" => data["servers"][0]["state"].as_str().unwrap().to_string(),
            other => other.to_string(),
        };
        if states.last() != Some(&state) {
            states.push(state);
        }
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    assert_eq!(
        states,
        ["snapshot", "loading", "ready", "unloading", "removed"],
        "{text}"
    );
}
