//! The model API under pressure: a full queue (429, and the official client's own retries), a
//! client that disconnects (the model is free at once), the per-endpoint time limit, and who
//! may load a model on demand.

use std::time::Duration;

use mlx_manager_tests::TestApp;
use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

use super::{profile, run_script, wait_pool};

/// A request that keeps SmolLM2 busy far longer than any check below takes.
fn long_answer(stream: bool) -> Value {
    json!({
        "model": "test-org/smollm2",
        "messages": [{"role": "user", "content": "Tell me a very long story about a dragon."}],
        "max_tokens": 8000,
        "temperature": 1.0,
        "seed": 7,
        "stream": stream,
    })
}

/// `max_batch` requests at a time per model, at most `max_queued` waiting.
async fn with_batch_and_queue(app: &TestApp, admin: &str, max_batch: i64, max_queued: i64) {
    let (status, mut settings) = app
        .call(Method::GET, "/api/settings/pool", admin, None)
        .await;
    assert_eq!(status, 200, "{settings}");
    let body = settings.as_object_mut().unwrap();
    body.retain(|key, _| {
        [
            "memory_limit_bytes",
            "max_loaded_models",
            "default_keep_alive_secs",
            "queue_timeout_secs",
        ]
        .contains(&key.as_str())
    });
    body.insert("max_queued_requests".into(), json!(max_queued));
    body.insert("max_batch_size".into(), json!(max_batch));
    let (status, updated) = app
        .call(Method::PUT, "/api/settings/pool", admin, Some(settings))
        .await;
    assert_eq!(status, 200, "{updated}");
}

#[tokio::test]
async fn a_full_queue_answers_429_the_client_retries_and_a_disconnect_frees_the_model_at_once() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    with_batch_and_queue(&app, &admin, 1, 0).await;

    let mut response = reqwest::Client::new()
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&admin)
        .json(&long_answer(true))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    while seen.matches("data: ").count() < 3 {
        let bytes = response.chunk().await.unwrap().expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    let busy = wait_pool(
        &app,
        &admin,
        "test-org/smollm2",
        Duration::from_secs(5),
        "was busy",
        |m| m.is_some_and(|m| m["running"] == 1),
    )
    .await;
    assert_eq!(busy.unwrap()["queued"], 0);

    let (status, refused) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(long_answer(false)),
        )
        .await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["type"], "rate_limit_error");
    assert_eq!(refused["error"]["code"], "overloaded");
    let raw = app
        .authed(Method::POST, "/v1/chat/completions", &admin)
        .json(&long_answer(false))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = raw.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    let outcome = run_script(
        include_str!("rate_limited.py"),
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", admin.clone()),
            ("MODEL", "test-org/smollm2".into()),
        ],
    )
    .await;
    assert_eq!(outcome["class"], "RateLimitError", "{outcome}");
    assert_eq!(
        outcome["attempts"], 3,
        "the client's two retries of our 429: {outcome}"
    );
    for gap in outcome["gaps"].as_array().unwrap() {
        assert!(
            gap.as_f64().unwrap() >= 0.9,
            "each retry waited Retry-After: {outcome}"
        );
    }

    // The client goes away mid-answer: the generation is cancelled and the model is free.
    drop(response);
    let freed = wait_pool(
        &app,
        &admin,
        "test-org/smollm2",
        Duration::from_secs(2),
        "was freed",
        |m| m.is_some_and(|m| m["running"] == 0),
    )
    .await
    .unwrap();
    assert_eq!(freed["state"], "ready");
    let (status, answer) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(json!({"model": "test-org/smollm2", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2})),
        )
        .await;
    assert_eq!(status, 200, "the next request gets its turn: {answer}");
}

#[tokio::test]
async fn an_answer_past_the_chat_time_limit_is_cancelled_and_answered_503() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[("MLX_MANAGER_CHAT_TIMEOUT_SECS", "2")]).await;
    let admin = app.admin_token().await;
    let started = std::time::Instant::now();
    let (status, body) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(long_answer(false)),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["type"], "server_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time limit")
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    wait_pool(
        &app,
        &admin,
        "test-org/smollm2",
        Duration::from_secs(2),
        "was freed",
        |m| m.is_some_and(|m| m["running"] == 0),
    )
    .await;

    // Streamed, the limit ends the stream with an error event.
    let text = app
        .authed(Method::POST, "/v1/chat/completions", &admin)
        .json(&long_answer(true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let last = text
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap();
    let error: Value = serde_json::from_str(last).unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time limit"),
        "{error}"
    );
}

#[tokio::test]
async fn members_load_models_only_while_permitted_and_always_use_loaded_ones() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;
    profile(&app, &admin, "tiny", "test-org/tiny-llama").await;
    let (status, permissions) = app
        .call(
            Method::PUT,
            "/api/settings/permissions",
            &admin,
            Some(json!({"members_load_models": false})),
        )
        .await;
    assert_eq!(status, 200, "{permissions}");
    assert_eq!(permissions["members_load_models"], false);
    assert_eq!(
        permissions["members_manage_models"], false,
        "left out: unchanged"
    );

    let ask =
        json!({"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3});
    let (status, refused) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &member,
            Some(ask.clone()),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["type"], "permission_error");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("members_load_models")
    );
    assert!(
        super::pool_model(&app, &admin, "test-org/tiny-llama")
            .await
            .is_none()
    );

    let (status, body) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(ask.clone()),
        )
        .await;
    assert_eq!(status, 200, "an admin's request loads it: {body}");
    let (status, body) = app
        .call(Method::POST, "/v1/chat/completions", &member, Some(ask))
        .await;
    assert_eq!(status, 200, "a loaded model is open to members: {body}");
    assert_eq!(body["usage"]["completion_tokens"], 3);
}

/// One streamed answer read to its end: `Ok((id, finish_reason))`, or `Err(retry_after)` when
/// it was refused with 429.
async fn stream_one(app: &TestApp, token: &str, index: usize) -> Result<(String, String), u64> {
    let response = app
        .authed(Method::POST, "/v1/chat/completions", token)
        .json(&json!({
            "model": "test-org/tiny-llama",
            "messages": [{"role": "user", "content": format!("Request {index}")}],
            "max_tokens": 200,
            "temperature": 1.0,
            "seed": index,
            "stream": true,
        }))
        .send()
        .await
        .unwrap();
    if response.status() == 429 {
        let retry_after = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        return Err(retry_after);
    }
    assert_eq!(response.status(), 200, "request {index}");
    let body = response.text().await.unwrap();
    let data: Vec<&str> = body
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .collect();
    assert_eq!(
        data.last(),
        Some(&"[DONE]"),
        "request {index} ended: {body}"
    );
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(chunks.iter().all(|c| c.get("error").is_none()), "{body}");
    let id = chunks[0]["id"].as_str().unwrap().to_string();
    assert!(
        chunks.iter().all(|c| c["id"] == id.as_str()),
        "one id per answer"
    );
    let reason = chunks.last().unwrap()["choices"][0]["finish_reason"]
        .as_str()
        .expect("the last chunk has the finish reason")
        .to_string();
    Ok((id, reason))
}

#[tokio::test]
async fn twenty_concurrent_streams_all_complete_or_get_429_and_the_pool_ends_idle() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    with_batch_and_queue(&app, &admin, 4, 8).await;
    // Loaded first, so the twenty race for turns, not for the load.
    let (status, warm) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(json!({"model": "test-org/tiny-llama", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1})),
        )
        .await;
    assert_eq!(status, 200, "{warm}");

    let outcomes =
        futures_util::future::join_all((0..20).map(|i| stream_one(&app, &admin, i))).await;
    let mut ids = std::collections::HashSet::new();
    let (mut completed, mut refused) = (0, 0);
    for outcome in outcomes {
        match outcome {
            Ok((id, reason)) => {
                assert!(["stop", "length"].contains(&reason.as_str()), "{reason}");
                assert!(ids.insert(id), "answer ids are unique");
                completed += 1;
            }
            Err(retry_after) => {
                assert!((1..=60).contains(&retry_after), "{retry_after}");
                refused += 1;
            }
        }
    }
    assert_eq!(completed + refused, 20);
    // Four running together and eight queued are always admitted.
    assert!(completed >= 12, "{completed} completed, {refused} refused");
    let idle = super::pool_model(&app, &admin, "test-org/tiny-llama")
        .await
        .unwrap();
    assert_eq!(
        (idle["running"].as_u64(), idle["queued"].as_u64()),
        (Some(0), Some(0)),
        "{idle}"
    );
}
