//! The official `openai` Python client (pinned in the venv), unchanged, against the real binary.

use serde_json::Value;

use super::{run_script, smol_server};

const SCRIPT: &str = include_str!("openai_chat.py");

#[tokio::test]
async fn the_openai_client_lists_models_chats_completes_streams_with_usage_and_raises_our_errors() {
    let (_home, app, _admin, key) = smol_server().await;

    let seen = run_script(
        SCRIPT,
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("PROFILE", "smol".into()),
            ("REPO", "test-org/smollm2".into()),
        ],
    )
    .await;

    let ids: Vec<&str> = seen["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["smol", "test-org/smollm2"], "{seen}");
    assert!(
        seen["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["object"] == "model")
    );
    assert_eq!(
        seen["retrieved"],
        serde_json::json!(["smol", "test-org/smollm2"])
    );

    let answer = &seen["answer"];
    let content = answer["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(
        content.contains("Paris"),
        "SmolLM2 knows its capitals: {answer}"
    );
    assert_eq!(answer["model"], "smol");
    assert_eq!(answer["object"], "chat.completion");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    let usage = &answer["usage"];
    let completion = usage["completion_tokens"].as_u64().unwrap();
    let prompt = usage["prompt_tokens"].as_u64().unwrap();
    assert!((1..=24).contains(&completion), "{usage}");
    // The template's rendering of one user turn is longer than the question itself.
    assert!(prompt > 8, "{usage}");
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), prompt + completion);

    let chunks = seen["chunks"].as_array().unwrap();
    let (last, choice_chunks) = chunks.split_last().unwrap();
    assert_eq!(
        last["choices"],
        serde_json::json!([]),
        "the usage chunk has no choices"
    );
    for count in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert_eq!(last["usage"][count], usage[count], "the same greedy answer");
    }
    // The stream asked the same question again: all of its prompt but the last token (whose
    // logits give the answer's first) came from the prompt cache.
    assert_eq!(
        last["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64(),
        Some(prompt - 1),
        "{}",
        last["usage"]
    );
    let first = &choice_chunks[0]["choices"][0]["delta"];
    assert_eq!(first["role"], "assistant");
    assert_eq!(first["content"], "");
    let streamed: String = choice_chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(streamed, content, "streamed and whole greedy answers agree");
    for (index, chunk) in choice_chunks.iter().enumerate() {
        assert_eq!(chunk["id"], chunks[0]["id"]);
        assert_eq!(chunk["created"], chunks[0]["created"]);
        assert_eq!(chunk["model"], "smol");
        assert_eq!(chunk["usage"], Value::Null);
        let finish = &chunk["choices"][0]["finish_reason"];
        match index + 1 == choice_chunks.len() {
            true => assert_eq!(*finish, answer["choices"][0]["finish_reason"]),
            false => assert_eq!(*finish, Value::Null, "finish_reason only at the end"),
        }
    }

    let completion = &seen["completion"];
    assert_eq!(completion["object"], "text_completion");
    assert!(completion["id"].as_str().unwrap().starts_with("cmpl-"));
    let text = completion["choices"][0]["text"].as_str().unwrap();
    assert!(text.contains("Paris"), "{completion}");
    assert_eq!(
        seen["completion_echo"],
        format!("The capital of France is{text}")
    );
    let chunks = seen["completion_chunks"].as_array().unwrap();
    let (usage_chunk, text_chunks) = chunks.split_last().unwrap();
    let streamed: String = text_chunks
        .iter()
        .filter_map(|c| c["choices"][0]["text"].as_str())
        .collect();
    assert_eq!(streamed, text, "streamed and whole completions agree");
    for count in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert_eq!(usage_chunk["usage"][count], completion["usage"][count]);
    }
    assert_eq!(
        seen["completion_default_length"], 16,
        "the OpenAI default length of a completion"
    );

    let errors = &seen["errors"];
    assert_eq!(
        errors["bad_key"]["class"], "AuthenticationError",
        "{errors}"
    );
    assert_eq!(errors["bad_key"]["type"], "authentication_error");
    for case in ["unknown_model", "unknown_model_by_id"] {
        assert_eq!(errors[case]["class"], "NotFoundError", "{errors}");
        assert_eq!(errors[case]["code"], "model_not_found", "{errors}");
    }
    assert_eq!(
        errors["two_choices"]["class"], "BadRequestError",
        "{errors}"
    );
    assert_eq!(errors["two_choices"]["param"], "n");
    assert_eq!(errors["image"]["param"], "messages[0].content", "{errors}");
    assert!(
        errors["image"]["message"]
            .as_str()
            .unwrap()
            .contains("vision")
    );
    assert_eq!(errors["hot"]["param"], "temperature", "{errors}");
    assert_eq!(errors["fill_in_the_middle"]["param"], "suffix", "{errors}");
    assert_eq!(errors["hot"]["type"], "invalid_request_error");
}
