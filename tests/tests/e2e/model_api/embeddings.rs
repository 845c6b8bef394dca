//! `/v1/embeddings` through the official `openai` client, equal to mlx-lm's final hidden state
//! of the last token (normalised) on the same model.

use mlx_manager_tests::models::{HfHome, spawn_offline};
use serde_json::Value;

use super::{api_key, run_script};

const SCRIPT: &str = include_str!("embeddings_client.py");

fn vector(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[tokio::test]
async fn embeddings_are_mlx_lms_last_hidden_state_as_floats_base64_tokens_and_fewer_dimensions() {
    let home = HfHome::new();
    let dir = home.install("test-org/qwen3", "tiny-qwen3");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let key = api_key(&app, &admin).await;
    let seen = run_script(
        SCRIPT,
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("MODEL", "test-org/qwen3".into()),
            ("MODEL_DIR", dir.display().to_string()),
        ],
    )
    .await;

    let floats = &seen["floats"];
    assert_eq!(floats["object"], "list");
    assert_eq!(floats["model"], "test-org/qwen3");
    let data = floats["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (index, (item, reference)) in data
        .iter()
        .zip(seen["reference"].as_array().unwrap())
        .enumerate()
    {
        assert_eq!(item["index"], index);
        let ours = vector(&item["embedding"]);
        let theirs = vector(reference);
        assert_eq!(ours.len(), 128, "the hidden size");
        assert!((norm(&ours) - 1.0).abs() < 1e-5);
        let gap = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(gap < 1e-4, "input {index}: {gap} from mlx-lm");
        let decoded = vector(&seen["base64"][index]);
        assert_eq!(decoded, ours, "base64 carries the same floats");
        let by_client = vector(&seen["client_decoded"][index]);
        assert_eq!(by_client, ours, "the client's own base64 decoding agrees");
        let from_tokens = vector(&seen["tokens"]["data"][index]["embedding"]);
        assert_eq!(from_tokens, ours, "token input is the same text");
    }
    assert_ne!(vector(&data[0]["embedding"]), vector(&data[1]["embedding"]));
    assert_eq!(
        vector(&seen["one"]),
        vector(&data[0]["embedding"]),
        "one input alone"
    );
    assert_eq!(
        floats["usage"]["prompt_tokens"], seen["reference_tokens"],
        "usage counts every input's tokens"
    );
    let short = vector(&seen["short"]);
    assert_eq!(short.len(), 16);
    assert!(
        (norm(&short) - 1.0).abs() < 1e-5,
        "truncated, then normalised"
    );
    let full = vector(&data[0]["embedding"]);
    let scale = norm(&full[..16]);
    assert!(
        short
            .iter()
            .zip(&full)
            .all(|(s, f)| (s * scale - f).abs() < 1e-5)
    );
    assert_eq!(seen["empty"], serde_json::json!(["BadRequestError", 400]));
}
