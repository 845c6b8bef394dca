//! The official `anthropic` Python client (pinned in the venv), unchanged, against the real
//! binary; and the stream's bytes, which the client hides.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use serde_json::{Value, json};

use super::{api_key, run_script, smol_server};

#[tokio::test]
async fn the_anthropic_client_gets_messages_streams_counts_tokens_and_raises_our_errors() {
    let (_home, app, _admin, key) = smol_server().await;

    let seen = run_script(
        include_str!("anthropic_messages.py"),
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("PROFILE", "smol".into()),
        ],
    )
    .await;

    let message = &seen["message"];
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "smol");
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    let text = message["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Paris"), "{message}");
    assert_eq!(message["content"][0]["type"], "text");
    assert_eq!(
        message["stop_reason"], "end_turn",
        "SmolLM2 ends its turn: {message}"
    );
    assert_eq!(message["stop_sequence"], Value::Null);
    let usage = &message["usage"];
    // The prompt's tokens: those computed and those read from the prompt cache.
    let input_tokens = usage["input_tokens"].as_u64().unwrap()
        + usage["cache_read_input_tokens"].as_u64().unwrap();
    assert!(usage["output_tokens"].as_u64().unwrap() >= 1);
    assert_eq!(usage["cache_creation_input_tokens"], 0);
    assert_eq!(
        seen["bearer_message"]["content"], message["content"],
        "Authorization: Bearer works too"
    );

    let types: Vec<&str> = seen["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        types[..2],
        ["message_start", "content_block_start"],
        "{types:?}"
    );
    assert_eq!(
        types[types.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(types.contains(&"text"), "text events: {types:?}");
    let streamed = &seen["streamed"];
    assert_eq!(
        streamed["content"], message["content"],
        "streamed and whole greedy answers agree"
    );
    // The stream asked the same question again: all of its prompt but the last token (whose
    // logits give the answer's first) came from the prompt cache.
    let streamed_usage = &streamed["usage"];
    assert_eq!(streamed_usage["output_tokens"], usage["output_tokens"]);
    assert_eq!(streamed_usage["input_tokens"], 1, "{streamed_usage}");
    assert_eq!(
        streamed_usage["cache_read_input_tokens"].as_u64(),
        Some(input_tokens - 1)
    );
    assert_eq!(streamed["stop_reason"], "end_turn");

    let stopped = &seen["stopped"];
    assert_eq!(stopped["stop_reason"], "stop_sequence", "{stopped}");
    assert_eq!(stopped["stop_sequence"], "Paris");
    assert!(
        !stopped["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Paris")
    );

    assert_eq!(
        seen["count"].as_u64(),
        Some(input_tokens),
        "count_tokens is what generation saw"
    );
    // SmolLM2's template writes its own system prompt when none is given; ours replaces it.
    assert_eq!(seen["count_with_system"], seen["generated_with_system"]);
    assert_ne!(seen["count_with_system"].as_u64(), Some(input_tokens));

    let errors = &seen["errors"];
    assert_eq!(
        errors["bad_key"]["class"], "AuthenticationError",
        "{errors}"
    );
    assert_eq!(errors["bad_key"]["body"]["type"], "error");
    assert_eq!(
        errors["bad_key"]["body"]["error"]["type"],
        "authentication_error"
    );
    assert_eq!(
        errors["unknown_model"]["class"], "NotFoundError",
        "{errors}"
    );
    assert_eq!(
        errors["unknown_model"]["body"]["error"]["type"],
        "not_found_error"
    );
    assert_eq!(errors["hot"]["class"], "BadRequestError", "{errors}");
    assert!(
        errors["hot"]["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("temperature"),
        "{errors}"
    );
}

#[tokio::test]
async fn every_streamed_event_has_an_event_line_naming_its_type() {
    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let key = api_key(&app, &admin).await;
    let text = reqwest::Client::new()
        .post(app.url("/v1/messages"))
        .header("x-api-key", &key)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "test-org/tiny-llama",
            "max_tokens": 8,
            "temperature": 0,
            "stream": true,
            "messages": [{"role": "user", "content": "Hello"}],
        }))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut names = Vec::new();
    let mut lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(':'));
    while let Some(line) = lines.next() {
        let name = line
            .strip_prefix("event: ")
            .unwrap_or_else(|| panic!("{line:?} in {text}"));
        let data: Value =
            serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(data["type"], name, "{text}");
        names.push(name.to_string());
    }
    assert_eq!(names.first().map(String::as_str), Some("message_start"));
    assert_eq!(names.last().map(String::as_str), Some("message_stop"));
    let deltas = names.iter().filter(|n| *n == "content_block_delta").count();
    assert!((1..=8).contains(&deltas), "{names:?}");
    let delta_at = names.iter().position(|n| n == "message_delta").unwrap();
    let data: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(data[delta_at]["delta"]["stop_reason"], "max_tokens");
    assert_eq!(data[delta_at]["usage"]["output_tokens"], 8);
}
