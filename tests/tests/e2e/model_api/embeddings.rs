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

/// The script's view of `/v1/embeddings` for `model` on tiny-qwen3, after `setup` (given the
/// app and an admin's token) ran; `pooling` is what the reference computes.
async fn embeddings_seen<Setup, Done>(model: &str, pooling: &str, setup: Setup) -> Value
where
    Setup: FnOnce(mlx_manager_tests::TestApp, String) -> Done,
    Done: std::future::Future<Output = mlx_manager_tests::TestApp>,
{
    let home = HfHome::new();
    let dir = home.install("test-org/qwen3", "tiny-qwen3");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let app = setup(app, admin.clone()).await;
    let key = api_key(&app, &admin).await;
    run_script(
        SCRIPT,
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("MODEL", model.into()),
            ("MODEL_DIR", dir.display().to_string()),
            ("POOLING", pooling.into()),
        ],
    )
    .await
}

#[tokio::test]
async fn embeddings_are_mlx_lms_last_hidden_state_as_floats_base64_tokens_and_fewer_dimensions() {
    let seen = embeddings_seen("test-org/qwen3", "last", |app, _| async { app }).await;
    assert_floats_match_the_reference(&seen, "test-org/qwen3");
}

#[tokio::test]
async fn a_profile_with_mean_pooling_embeds_as_the_mean_of_mlx_lms_hidden_states() {
    let seen = embeddings_seen("qwen-mean", "mean", |app, admin| async move {
        let profile = serde_json::json!({"name": "qwen-mean", "model": "test-org/qwen3",
            "embedding_pooling": "mean"});
        let (status, created) = app
            .call(
                reqwest::Method::POST,
                "/api/profiles",
                &admin,
                Some(profile),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["embedding_pooling"], "mean");
        app
    })
    .await;
    assert_floats_match_the_reference(&seen, "qwen-mean");
}

/// Everything the script saw, against its reference (computed with the same pooling).
fn assert_floats_match_the_reference(seen: &Value, model: &str) {
    let floats = &seen["floats"];
    assert_eq!(floats["object"], "list");
    assert_eq!(floats["model"], model);
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
