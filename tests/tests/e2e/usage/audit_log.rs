//! Every `/v1` request leaves one audit entry with exact token counts and timings — and no
//! prompt or output text anywhere; admins filter, sum and export them; members see only their
//! own usage.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use mlx_manager_tests::{SpawnOptions, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use super::{MODEL, audit_entries, chat};
use mlx_manager_tests::inspect::files_containing;

/// A word no model or log would produce by itself.
const SECRET: &str = "zebracorn1729";

#[tokio::test]
async fn the_client_address_is_the_forwarded_one_only_behind_a_trusted_proxy() {
    for (trusted, expected) in [(None, "127.0.0.1"), (Some("127.0.0.1"), "203.0.113.7")] {
        let mut options = SpawnOptions::default();
        if let Some(proxies) = trusted {
            options = options.env("MLX_MANAGER_TRUSTED_PROXIES", proxies);
        }
        let app = TestApp::spawn_with(options).await;
        let admin = app.admin_token().await;
        let status = app
            .authed(Method::GET, "/v1/models", &admin)
            .header("x-forwarded-for", "203.0.113.7")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
        let (_, entries) = audit_entries(&app, &admin, "").await;
        assert_eq!(entries.len(), 1, "{entries:#?}");
        assert_eq!(
            entries[0]["client_address"], expected,
            "trusted proxies: {trusted:?}"
        );
    }
}

async fn stream_usage(app: &TestApp, api_key: &str) -> (u64, u64) {
    let mut body = chat(&format!("Please remember {SECRET}."), 6);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let text = reqwest::Client::new()
        .post(app.url("/v1/chat/completions"))
        .header("x-api-key", api_key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let usage = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .find_map(|chunk| chunk.get("usage").filter(|u| !u.is_null()).cloned())
        .expect("a usage chunk");
    (
        usage["prompt_tokens"].as_u64().unwrap(),
        usage["completion_tokens"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn every_model_api_request_is_audited_with_exact_tokens_and_never_its_text() {
    let home = HfHome::new();
    home.install(MODEL, "tiny-llama");
    let mut app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (member_id, member) = app.approved_user(&admin, "member@example.com").await;
    let (status, key) = app
        .call(
            Method::POST,
            "/api/auth/api-keys",
            &member,
            Some(json!({"name": "script"})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    let (key_id, api_key) = (
        key["id"].as_i64().unwrap(),
        key["key"].as_str().unwrap().to_string(),
    );

    // 1. An answer, with the member's session and a request id of the client's choosing.
    let answer: Value = app
        .authed(Method::POST, "/v1/chat/completions", &member)
        .header("x-request-id", "audit-check-1")
        .json(&chat(&format!("The password is {SECRET}."), 5))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let usage = &answer["usage"];
    // 2. A stream, with the member's API key.
    let streamed = stream_usage(&app, &api_key).await;
    // 3. A model that does not exist, 4. no credentials at all.
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &member,
            Some(json!({"model": "no/such", "messages": [{"role": "user", "content": SECRET}]})),
        )
        .await;
    assert_eq!(status, 404);
    let anonymous = reqwest::Client::new()
        .get(app.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let (total, entries) = audit_entries(&app, &admin, "").await;
    assert_eq!(
        total, 4,
        "one entry per /v1 request, none for /api: {entries:#?}"
    );
    let (anonymous, missing, stream, first) = (&entries[0], &entries[1], &entries[2], &entries[3]);
    assert_eq!(first["request_id"], "audit-check-1");
    assert_eq!(first["user_id"], member_id);
    assert_eq!(first["api_key_id"], Value::Null, "a session, not a key");
    assert_eq!(first["model"], MODEL);
    assert_eq!(first["endpoint"], "/v1/chat/completions");
    assert_eq!(first["status"], 200);
    assert_eq!(first["prompt_tokens"], usage["prompt_tokens"]);
    assert_eq!(first["completion_tokens"], usage["completion_tokens"]);
    assert_eq!(first["error_type"], Value::Null);
    assert_eq!(first["client_address"], "127.0.0.1");
    let ttft = first["ttft_ms"].as_u64().expect("a first token time");
    assert!(ttft <= first["duration_ms"].as_u64().unwrap(), "{first}");

    assert_eq!(stream["api_key_id"], key_id, "{stream}");
    assert_eq!(stream["user_id"], member_id);
    assert_eq!(
        (
            stream["prompt_tokens"].as_u64().unwrap(),
            stream["completion_tokens"].as_u64().unwrap()
        ),
        streamed
    );
    assert!(
        stream["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );

    assert_eq!(missing["status"], 404);
    assert_eq!(missing["error_type"], "model_not_found");
    assert_eq!(missing["model"], "no/such");
    assert_eq!(anonymous["status"], 401);
    assert_eq!(anonymous["user_id"], Value::Null);
    assert_eq!(anonymous["endpoint"], "/v1/models");

    // Filters.
    assert_eq!(
        audit_entries(&app, &admin, &format!("user_id={member_id}"))
            .await
            .0,
        3
    );
    assert_eq!(audit_entries(&app, &admin, "status=404").await.0, 1);
    assert_eq!(
        audit_entries(&app, &admin, &format!("model={MODEL}"))
            .await
            .0,
        2
    );
    assert_eq!(
        audit_entries(&app, &admin, "endpoint=/v1/models").await.0,
        1
    );
    assert_eq!(
        audit_entries(&app, &admin, "since=2100-01-01T00:00:00Z")
            .await
            .0,
        0
    );
    assert_eq!(
        audit_entries(&app, &admin, "until=2100-01-01T00:00:00Z")
            .await
            .0,
        4
    );
    let (status, bad) = app
        .call(
            Method::GET,
            "/api/system/audit-logs?since=yesterday",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(bad["errors"][0]["field"], "since");
    let (status, bad) = app
        .call(
            Method::GET,
            "/api/system/audit-logs?offset=9223372036854775808",
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (status, &bad["errors"][0]["field"]),
        (422, &json!("offset"))
    );
    let (status, far) = app
        .call(
            Method::GET,
            "/api/system/audit-logs?offset=9223372036854775807",
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (status, far["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{far}"
    );
    let (status, page) = app
        .call(
            Method::GET,
            "/api/system/audit-logs?limit=2&offset=1",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["id"], missing["id"]);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);

    // Totals.
    let generated = usage["completion_tokens"].as_u64().unwrap() + streamed.1;
    let (status, stats) = app
        .call(Method::GET, "/api/system/audit-logs/stats", &admin, None)
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total"]["requests"], 4);
    assert_eq!(stats["total"]["completion_tokens"], generated);
    let by_member = stats["by_user"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["user_id"] == member_id)
        .unwrap();
    assert_eq!(by_member["email"], "member@example.com");
    assert_eq!(by_member["requests"], 3);

    // Export, streamed, in both formats.
    let jsonl = app
        .authed(
            Method::GET,
            "/api/system/audit-logs/export?format=jsonl",
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(jsonl.status(), 200);
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = jsonl
        .text()
        .await
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["id"], first["id"], "oldest first");
    let csv = app
        .authed(
            Method::GET,
            &format!("/api/system/audit-logs/export?format=csv&user_id={member_id}"),
            &admin,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "a header and the member's three: {csv}");
    assert!(
        rows[0].starts_with("id,created_at,request_id,user_id,api_key_id,model,endpoint,status")
    );
    assert!(rows[1].contains(",audit-check-1,"), "{csv}");

    // Members: their own usage only.
    for path in [
        "/api/system/audit-logs",
        "/api/system/audit-logs/stats",
        "/api/system/audit-logs/export",
    ] {
        let (status, _) = app.call(Method::GET, path, &member, None).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, mine) = app
        .call(Method::GET, "/api/auth/me/usage", &member, None)
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["totals"]["requests"], 3);
    assert_eq!(mine["totals"]["completion_tokens"], generated);
    assert_eq!(mine["tokens_last_day"], generated);
    assert_eq!(mine["by_model"].as_array().unwrap().len(), 2, "{mine}");
    let (_, admins) = app
        .call(Method::GET, "/api/auth/me/usage", &admin, None)
        .await;
    assert_eq!(
        admins["totals"]["requests"], 0,
        "the admin made no /v1 request: {admins}"
    );

    // The secret was in three prompts; it is in no file and no log line.
    app.terminate();
    assert!(app.wait_exit(std::time::Duration::from_secs(15)).is_some());
    assert_eq!(
        files_containing(&app.data_dir, SECRET),
        Vec::<std::path::PathBuf>::new()
    );
    assert!(!app.stderr().contains(SECRET), "the log holds the secret");
}

#[tokio::test]
async fn a_stream_the_client_leaves_is_audited_as_cancelled_with_what_it_used() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let body = json!({"model": "test-org/smollm2", "stream": true, "max_tokens": 8000,
        "messages": [{"role": "user", "content": "Tell me a very long story."}]});
    let mut response = app
        .authed(Method::POST, "/v1/chat/completions", &admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    while seen.matches("data: ").count() < 4 {
        let bytes = response.chunk().await.unwrap().expect("the stream goes on");
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    drop(response);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let entry = loop {
        let (total, entries) = audit_entries(&app, &admin, "").await;
        if total == 1 {
            break entries[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no entry for the left stream"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(entry["status"], 200, "{entry}");
    assert_eq!(entry["error_type"], "cancelled", "{entry}");
    assert!(entry["ttft_ms"].as_u64().is_some(), "{entry}");
    // What it produced before the client left is counted (quotas see it too).
    let produced = entry["completion_tokens"].as_u64().unwrap();
    assert!(produced >= 3, "{entry}");
    assert!(entry["prompt_tokens"].as_u64().unwrap() > 5, "{entry}");
    let (_, usage) = app
        .call(Method::GET, "/api/auth/me/usage", &admin, None)
        .await;
    assert_eq!(usage["tokens_last_day"], produced, "{usage}");
}
