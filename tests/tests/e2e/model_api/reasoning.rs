//! A reasoning model's thinking through both APIs: out of the answer, into `reasoning_content`
//! and `reasoning` (OpenAI) or a `thinking` block (Anthropic), and gone when thinking is turned
//! off. `tiny-qwen3-think` has `<think>` tokens and a template that opens a think block unless
//! `enable_thinking` is false; its random weights never close it within a few tokens.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

fn chat(extra: Value) -> Value {
    let mut body = json!({
        "model": "test-org/thinker",
        "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        "max_tokens": 8,
        "temperature": 0,
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    body
}

#[tokio::test]
async fn thinking_leaves_the_answer_for_reasoning_fields_and_blocks_and_stays_off_when_disabled() {
    let home = HfHome::new();
    home.install("test-org/thinker", "tiny-qwen3-think");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;

    let (status, thought) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(chat(json!({}))),
        )
        .await;
    assert_eq!(status, 200, "{thought}");
    let message = &thought["choices"][0]["message"];
    let reasoning = message["reasoning_content"].as_str().unwrap();
    assert!(
        !reasoning.is_empty() && !reasoning.contains("<think>"),
        "{message}"
    );
    assert_eq!(
        message["reasoning"], message["reasoning_content"],
        "both names, one text"
    );
    assert_eq!(
        thought["usage"]["completion_tokens"], 8,
        "thinking tokens count"
    );

    let off = json!({"chat_template_kwargs": {"enable_thinking": false}});
    let (status, plain) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &admin,
            Some(chat(off)),
        )
        .await;
    assert_eq!(status, 200, "{plain}");
    let message = &plain["choices"][0]["message"];
    assert!(message.get("reasoning_content").is_none(), "{message}");
    assert!(
        !message["content"].as_str().unwrap().is_empty(),
        "{message}"
    );

    let text = app
        .authed(Method::POST, "/v1/chat/completions", &admin)
        .json(&chat(json!({"stream": true})))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let deltas: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|l| *l != "[DONE]")
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["choices"][0]["delta"].clone())
        .collect();
    let streamed: String = deltas
        .iter()
        .filter_map(|d| d["reasoning_content"].as_str())
        .collect();
    assert_eq!(
        streamed, reasoning,
        "streamed thinking equals the whole answer's"
    );
    assert!(
        deltas.iter().skip(1).all(|d| d.get("content").is_none()),
        "{deltas:?}"
    );
    assert!(
        deltas
            .iter()
            .all(|d| d["reasoning"] == d["reasoning_content"])
    );

    let (status, message) = app
        .call(
            Method::POST,
            "/v1/messages",
            &admin,
            Some(chat(
                json!({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
            )),
        )
        .await;
    assert_eq!(status, 200, "{message}");
    assert_eq!(message["content"][0]["type"], "thinking", "{message}");
    assert_eq!(message["content"][0]["thinking"], reasoning);
    assert_eq!(message["content"][1]["type"], "text");
    let (status, message) = app
        .call(
            Method::POST,
            "/v1/messages",
            &admin,
            Some(chat(json!({"thinking": {"type": "disabled"}}))),
        )
        .await;
    assert_eq!(status, 200, "{message}");
    let types: Vec<&Value> = message["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["type"])
        .collect();
    assert_eq!(types, [&json!("text")], "{message}");
}
