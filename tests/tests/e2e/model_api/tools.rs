//! Tool calling end to end through both official clients' tool APIs. The model is
//! `scripted-tool-caller`: a real checkpoint the real engine runs, whose weights always write
//! "I will check." and a Hermes `<tool_call>` for get_weather(city="Paris") — so what the
//! clients get is known, and every step between (template, engine, parser, wire) is real.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use serde_json::{Value, json};

use super::{api_key, run_script};

const SCRIPT: &str = include_str!("tool_clients.py");
const MODEL: &str = "test-org/tool-caller";

fn assert_weather_call(call: &Value, context: &Value) {
    assert_eq!(call["type"], "function", "{context}");
    assert_eq!(call["function"]["name"], "get_weather", "{context}");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"city": "Paris"}), "{context}");
    let id = call["id"].as_str().unwrap();
    assert!(
        id.len() >= 9
            && id.starts_with("call_")
            && id[5..].chars().all(|c| c.is_ascii_alphanumeric()),
        "{id}"
    );
}

#[tokio::test]
async fn both_clients_get_parsed_tool_calls_whole_and_streamed_and_send_the_results_back() {
    let home = HfHome::new();
    home.install(MODEL, "scripted-tool-caller");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let key = api_key(&app, &admin).await;
    let seen = run_script(
        SCRIPT,
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("MODEL", MODEL.into()),
        ],
    )
    .await;

    for name in ["openai_whole", "openai_streamed"] {
        let answer = &seen[name];
        let choice = &answer["choices"][0];
        assert_eq!(choice["finish_reason"], "tool_calls", "{name}: {answer}");
        assert_eq!(
            choice["message"]["content"], "I will check.",
            "{name}: {answer}"
        );
        let calls = choice["message"]["tool_calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "{name}: {answer}");
        assert_weather_call(&calls[0], answer);
    }
    let events = seen["openai_events"].as_array().unwrap();
    assert!(
        events.contains(&json!("tool_calls.function.arguments.done")),
        "the helper saw a complete call: {events:?}"
    );
    let usage = &seen["openai_streamed"]["usage"];
    assert_eq!(
        usage["completion_tokens"], 7,
        "six pieces and the end: {usage}"
    );

    let first_prompt = seen["openai_whole"]["usage"]["prompt_tokens"]
        .as_u64()
        .unwrap();
    let loop_prompt = seen["openai_loop"]["usage"]["prompt_tokens"]
        .as_u64()
        .unwrap();
    assert!(
        loop_prompt > first_prompt + 20,
        "the call and its result reached the template: {first_prompt} -> {loop_prompt}"
    );
    let plain = &seen["openai_no_tools"]["choices"][0];
    assert_eq!(plain["finish_reason"], "stop", "{plain}");
    assert!(plain["message"]["tool_calls"].is_null(), "{plain}");
    assert!(
        plain["message"]["content"]
            .as_str()
            .unwrap()
            .contains("<tool_call>"),
        "with tool_choice none the model's text is left as it wrote it: {plain}"
    );

    for name in ["anthropic_whole", "anthropic_streamed"] {
        let message = &seen[name];
        assert_eq!(message["stop_reason"], "tool_use", "{name}: {message}");
        let content = message["content"].as_array().unwrap();
        assert_eq!(content.len(), 2, "{name}: {message}");
        assert_eq!(
            content[0],
            json!({"type": "text", "text": "I will check.", "citations": null})
        );
        assert_eq!(content[1]["type"], "tool_use");
        assert_eq!(content[1]["name"], "get_weather");
        assert_eq!(
            content[1]["input"],
            json!({"city": "Paris"}),
            "{name}: {message}"
        );
    }
    let events = seen["anthropic_events"].as_array().unwrap();
    assert!(
        events.contains(&json!("input_json")),
        "the input arrived as input_json_delta: {events:?}"
    );
    // The prompt's tokens: computed ones and those read from the prompt cache.
    let prompt_tokens = |usage: &Value| {
        usage["input_tokens"].as_u64().unwrap() + usage["cache_read_input_tokens"].as_u64().unwrap()
    };
    let loop_tokens = prompt_tokens(&seen["anthropic_loop"]["usage"]);
    assert_eq!(
        seen["anthropic_loop_tokens"].as_u64().unwrap(),
        loop_tokens,
        "count_tokens agrees with the generation"
    );
    let first_tokens = prompt_tokens(&seen["anthropic_whole"]["usage"]);
    assert!(
        loop_tokens > first_tokens + 20,
        "{first_tokens} -> {loop_tokens}"
    );
}
