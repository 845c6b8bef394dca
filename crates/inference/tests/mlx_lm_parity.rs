//! The engine against Python mlx-lm on the same model files and the same MLX build: greedy
//! decoding must give exactly the reference's tokens, and first-step logits must agree.

use std::path::PathBuf;
use std::process::Command;

use mlx_manager_inference::Model;
use mlx_manager_inference::generate::greedy;
use serde_json::Value;

const PROMPTS: &[&str] = &[
    "Hello, world",
    "The quick brown fox jumps over",
    "fn main() {\n    println!(",
];
const MAX_TOKENS: usize = 64;
const LOGIT_TOLERANCE: f32 = 1e-4;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A model from `.fixtures/` (built by ./setup), or from `MLX_MANAGER_FIXTURES`.
fn fixture(name: &str) -> PathBuf {
    let root = std::env::var_os("MLX_MANAGER_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".fixtures"));
    let dir = root.join(name);
    assert!(
        dir.join("config.json").exists(),
        "fixture {} is missing: run ./setup",
        dir.display()
    );
    dir
}

/// What Python mlx-lm produces for the prompts, run from the project's venv.
fn reference(model: &PathBuf) -> Vec<Value> {
    let python = workspace().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./setup",
        python.display()
    );
    let output = Command::new(python)
        .arg(workspace().join("scripts/reference/mlx_lm_greedy.py"))
        .arg(model)
        .args(["--max-tokens", &MAX_TOKENS.to_string()])
        .args(PROMPTS)
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("run the mlx-lm reference");
    assert!(
        output.status.success(),
        "mlx-lm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("reference JSON")
}

fn assert_matches_mlx_lm(name: &str) {
    let dir = fixture(name);
    let model = Model::load(&dir).expect("load");
    for case in reference(&dir) {
        let prompt = case["prompt"].as_str().unwrap();
        let ids: Vec<u32> = case["prompt_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();

        let logits = model.forward_last(&ids, &mut model.new_cache()).unwrap();
        // Compared in f32: exact for f16/bf16 values, as Python's tolist() gives them.
        let logits = logits.as_dtype(mlx_rs::Dtype::Float32).unwrap();
        logits.eval().unwrap();
        let ours = logits.as_slice::<f32>();
        let theirs: Vec<f32> = case["first_logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(ours.len(), theirs.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= LOGIT_TOLERANCE,
            "{name} {prompt:?}: first-step logits differ by {worst}"
        );

        let expected: Vec<u32> = case["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let tokens = greedy(&model, &ids, MAX_TOKENS).unwrap();
        assert_eq!(
            tokens, expected,
            "{name} {prompt:?}: greedy tokens differ from mlx-lm"
        );
    }
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_llama_with_tied_embeddings() {
    assert_matches_mlx_lm("tiny-llama");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen2() {
    assert_matches_mlx_lm("tiny-qwen2");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3() {
    assert_matches_mlx_lm("tiny-qwen3");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_llama_4bit() {
    assert_matches_mlx_lm("tiny-llama-4bit");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen2_4bit() {
    assert_matches_mlx_lm("tiny-qwen2-4bit");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3_4bit() {
    assert_matches_mlx_lm("tiny-qwen3-4bit");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3_float16() {
    assert_matches_mlx_lm("tiny-qwen3-f16");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3_bfloat16() {
    assert_matches_mlx_lm("tiny-qwen3-bf16");
}
