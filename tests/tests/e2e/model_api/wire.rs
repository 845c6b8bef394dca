//! `/v1/chat/completions` on the wire: the bytes of the stream (what the clients hide), and the
//! greedy answer against Python mlx-lm's on the same template.

use mlx_manager_tests::fake_hub::fixture;
use mlx_manager_tests::models::{HfHome, spawn_offline};
use serde_json::{Value, json};

use super::{profile, run_script};

/// The `data:` payloads of an SSE body, in order; comments and blank lines dropped.
fn data_lines(body: &str) -> Vec<&str> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .collect()
}

#[tokio::test]
async fn a_streamed_answer_has_null_usage_on_every_chunk_then_a_usage_chunk_then_done() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let body = json!({
        "model": "test-org/tiny-llama",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 12,
        "temperature": 0,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    let response = reqwest::Client::new()
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = response.text().await.unwrap();
    let lines = data_lines(&text);
    assert_eq!(lines.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<Value> = lines[..lines.len() - 1]
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (usage_chunk, choice_chunks) = chunks.split_last().unwrap();
    for chunk in choice_chunks {
        // Present and null, not left out: the contract of `include_usage`.
        assert_eq!(chunk.get("usage"), Some(&Value::Null), "{chunk}");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    assert_eq!(
        usage["completion_tokens"], 12,
        "greedy on a random tiny model never stops early: {usage}"
    );
    let last = &choice_chunks.last().unwrap()["choices"][0];
    assert_eq!(last["finish_reason"], "length");
    assert_eq!(
        last["delta"],
        json!({}),
        "the finishing chunk carries no content"
    );

    // Without `include_usage`, no chunk has a `usage` key at all.
    let mut plain = body.clone();
    plain.as_object_mut().unwrap().remove("stream_options");
    let text = reqwest::Client::new()
        .post(app.url("/v1/chat/completions"))
        .bearer_auth(&admin)
        .json(&plain)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = data_lines(&text);
    assert_eq!(lines.last(), Some(&"[DONE]"));
    for line in &lines[..lines.len() - 1] {
        let chunk: Value = serde_json::from_str(line).unwrap();
        assert!(chunk.get("usage").is_none(), "{chunk}");
    }
}

#[tokio::test]
async fn the_greedy_answer_equals_mlx_lm_generate_with_the_same_chat_template() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    profile(&app, &admin, "smol", "test-org/smollm2").await;
    let messages = json!([
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Name three colours."},
    ]);
    let reference = run_script(
        include_str!("mlx_lm_chat.py"),
        vec![
            (
                "MODEL_DIR",
                fixture("smollm2-135m-f32").display().to_string(),
            ),
            ("MESSAGES", messages.to_string()),
            ("MAX_TOKENS", "40".into()),
        ],
    )
    .await;
    let (status, answer) = app
        .call(
            reqwest::Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(
                json!({"model": "smol", "messages": messages, "max_tokens": 40, "temperature": 0}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["choices"][0]["message"]["content"], reference["text"],
        "ours vs mlx-lm"
    );
    assert_eq!(answer["usage"]["prompt_tokens"], reference["prompt_tokens"]);
}

#[tokio::test]
async fn a_stream_that_waits_for_a_load_reports_its_progress_in_comments() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let stream_hi = || async {
        let response = app
            .authed(reqwest::Method::POST, "/v1/chat/completions", &admin)
            .json(&json!({"model": "test-org/smollm2", "messages": [{"role": "user", "content": "Hi"}],
                "max_tokens": 2, "stream": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    };
    let body = stream_hi().await;
    let lines: Vec<&str> = body.lines().filter(|l| !l.is_empty()).collect();
    let first_data = lines.iter().position(|l| l.starts_with("data: ")).unwrap();
    let reports: Vec<&&str> = lines[..first_data]
        .iter()
        .filter(|l| l.starts_with(": loading test-org/smollm2: "))
        .collect();
    assert!(
        !reports.is_empty(),
        "the load was reported before the answer: {body}"
    );
    for report in reports {
        let percent: u64 = report
            .trim_start_matches(": loading test-org/smollm2: ")
            .split('%')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(percent <= 100 && report.ends_with(" MB"), "{report}");
    }
    // A model that is loaded already gets no such comment.
    let again = stream_hi().await;
    assert!(!again.contains(": loading"), "{again}");
    assert!(data_lines(&again).last() == Some(&"[DONE]"));
}
