//! Continuous batching through the server: chat answers streamed at the same time (the model
//! runs them together) equal the same requests answered one at a time, and usage says so too.

use std::time::Duration;

use mlx_manager_tests::TestApp;
use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

use super::wait_pool;

const QUESTIONS: [&str; 4] = [
    "What is the capital of France?",
    "Write one sentence about the sea.",
    "Count from one to five.",
    "Name three colours.",
];

async fn ask(app: &TestApp, token: &str, question: &str) -> Value {
    let (status, answer) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            token,
            Some(json!({
                "model": "test-org/smollm2",
                "messages": [{"role": "user", "content": question}],
                "max_tokens": 40,
                "temperature": 0,
            })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test]
async fn concurrent_chats_run_together_and_answer_exactly_as_one_at_a_time() {
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let mut alone = Vec::new();
    for question in QUESTIONS {
        alone.push(ask(&app, &admin, question).await);
    }

    let together = futures_util::future::join_all(QUESTIONS.map(|q| ask(&app, &admin, q)));
    let all_running = wait_pool(
        &app,
        &admin,
        "test-org/smollm2",
        Duration::from_secs(60),
        "ran four requests at once",
        |model| model.is_some_and(|m| m["running"] == 4),
    );
    let (together, seen) = tokio::join!(together, all_running);
    assert_eq!(seen.unwrap()["queued"], 0, "none waited for a turn");
    for ((question, batched), solo) in QUESTIONS.iter().zip(&together).zip(&alone) {
        let text = |answer: &Value| answer["choices"][0]["message"]["content"].clone();
        assert_eq!(text(batched), text(solo), "{question}");
        let tokens = |answer: &Value| answer["usage"]["completion_tokens"].clone();
        assert_eq!(tokens(batched), tokens(solo), "{question}");
    }
}
