//! The engine against Python mlx-lm on the same model files and the same MLX build: greedy
//! decoding must give exactly the reference's tokens, and first-step logits must agree.

use std::path::Path;
use std::process::Command;

use mlx_manager_inference::Model;
use mlx_manager_inference::generation::greedy;
use serde_json::Value;

const PROMPTS: &[&str] = &[
    "Hello, world",
    "The quick brown fox jumps over",
    "fn main() {\n    println!(",
];
const MAX_TOKENS: usize = 64;
const LOGIT_TOLERANCE: f32 = 1e-4;

use crate::support::{copy_of, edit_json, fixture, workspace};

/// What Python mlx-lm produces for the prompts, run from the project's venv.
fn reference(model: &Path) -> Vec<Value> {
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
    assert_dir_matches_mlx_lm(name, &fixture(name));
}

fn assert_dir_matches_mlx_lm(name: &str, dir: &Path) {
    let model = Model::load(dir).expect("load");
    for case in reference(dir) {
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

/// A real model in 4 bits (groups of 32, float16 scales and biases), through the CPU kernel.
#[test]
fn greedy_decoding_matches_mlx_lm_on_smollm2_4bit() {
    assert_matches_mlx_lm("smollm2-135m-4bit");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3_float16() {
    assert_matches_mlx_lm("tiny-qwen3-f16");
}

#[test]
fn greedy_decoding_matches_mlx_lm_on_tiny_qwen3_bfloat16() {
    assert_matches_mlx_lm("tiny-qwen3-bf16");
}

#[test]
fn greedy_decoding_matches_mlx_lm_with_8_bit_weights_in_groups_of_64() {
    assert_matches_mlx_lm("tiny-qwen3-8bit-g64");
}

#[test]
fn greedy_decoding_matches_mlx_lm_with_4_bit_weights_in_groups_of_128() {
    assert_matches_mlx_lm("tiny-llama-4bit-g128");
}

#[test]
fn greedy_decoding_matches_mlx_lm_with_llama3_rope_scaling() {
    let dir = copy_of("tiny-llama");
    edit_json(&dir.path().join("config.json"), |c| {
        c["rope_scaling"] = serde_json::json!({
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 64
        });
        c["rope_theta"] = 500000.0.into();
    });
    assert_dir_matches_mlx_lm("llama3 rope", dir.path());
}

#[test]
fn greedy_decoding_matches_mlx_lm_with_traditional_rope() {
    let dir = copy_of("tiny-llama");
    edit_json(&dir.path().join("config.json"), |c| {
        c["rope_traditional"] = true.into()
    });
    assert_dir_matches_mlx_lm("traditional rope", dir.path());
}

#[test]
fn greedy_decoding_matches_mlx_lm_for_the_mistral_architecture() {
    let dir = copy_of("tiny-llama");
    edit_json(&dir.path().join("config.json"), |c| {
        c["model_type"] = "mistral".into();
        c["architectures"] = serde_json::json!(["MistralForCausalLM"]);
    });
    assert_dir_matches_mlx_lm("mistral", dir.path());
}

#[test]
fn a_checkpoint_split_over_several_shards_loads_the_same_model() {
    use std::collections::HashMap;
    let original = fixture("tiny-qwen3");
    let tensors = mlx_rs::Array::load_safetensors(original.join("model.safetensors")).unwrap();
    let dir = copy_of("tiny-qwen3");
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let (mut first, mut second): (
        HashMap<String, mlx_rs::Array>,
        HashMap<String, mlx_rs::Array>,
    ) = Default::default();
    let mut weight_map = serde_json::Map::new();
    for (i, (name, tensor)) in tensors.into_iter().enumerate() {
        let shard = if i % 2 == 0 {
            "model-00001-of-00002.safetensors"
        } else {
            "model-00002-of-00002.safetensors"
        };
        weight_map.insert(name.clone(), shard.into());
        if i % 2 == 0 {
            first.insert(name, tensor)
        } else {
            second.insert(name, tensor)
        };
    }
    mlx_rs::Array::save_safetensors(
        first,
        None,
        dir.path().join("model-00001-of-00002.safetensors"),
    )
    .unwrap();
    mlx_rs::Array::save_safetensors(
        second,
        None,
        dir.path().join("model-00002-of-00002.safetensors"),
    )
    .unwrap();
    let index = serde_json::json!({"metadata": {}, "weight_map": weight_map});
    std::fs::write(
        dir.path().join("model.safetensors.index.json"),
        index.to_string(),
    )
    .unwrap();
    let sharded = Model::load(dir.path()).unwrap();
    let single = Model::load(&original).unwrap();
    let prompt = [333, 14, 432, 380];
    assert_eq!(
        greedy(&sharded, &prompt, 16).unwrap(),
        greedy(&single, &prompt, 16).unwrap()
    );
}

#[test]
fn a_prompt_fed_in_chunks_predicts_like_one_fed_at_once() {
    let model = Model::load(&fixture("tiny-qwen3")).unwrap();
    let prompt: Vec<u32> = (0..200).map(|i| (i * 7 % 500) as u32).collect();
    let whole = model
        .forward_last_chunked(&prompt, &mut model.new_cache(), usize::MAX)
        .unwrap();
    let chunked = model
        .forward_last_chunked(&prompt, &mut model.new_cache(), 16)
        .unwrap();
    let (whole, chunked) = (
        whole.as_slice::<f32>().to_vec(),
        chunked.as_slice::<f32>().to_vec(),
    );
    let worst = whole
        .iter()
        .zip(&chunked)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-4,
        "chunked prefill changed the logits by {worst}"
    );
}
