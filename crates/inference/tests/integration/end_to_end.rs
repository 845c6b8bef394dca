//! The engine end to end, through a model worker: a real model answers, sampling is
//! reproducible, stop strings and cancellation work, the facts are right, and bad model
//! directories fail with typed errors.

use std::time::{Duration, Instant};

use mlx_manager_inference::InferenceError;
use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{FinishReason, GenerationRequest, ModelWorker, Prompt};
use mlx_manager_inference::text::chat_template::ChatMessage;

use crate::support::{chat_request, collect, copy_of, edit_json, fixture, greedy_request, load};

fn request(prompt: &str, max_tokens: usize) -> GenerationRequest {
    greedy_request(Prompt::Text(prompt.into()), max_tokens)
}

fn chat(question: &str, max_tokens: usize) -> GenerationRequest {
    chat_request(&[ChatMessage::new("user", question)], max_tokens)
}

#[test]
fn smollm2_answers_that_the_capital_of_france_is_paris() {
    let model = load("smollm2-135m-f32");
    let outcome = collect(model.generate(chat("What is the capital of France?", 24))).unwrap();
    assert!(outcome.text.contains("Paris"), "{:?}", outcome.text);
    assert_eq!(
        outcome.reason,
        FinishReason::Stop,
        "it ends with <|im_end|>: {:?}",
        outcome.text
    );
    assert!(outcome.stats.prompt_tokens > 10 && outcome.stats.decode_tokens_per_sec > 0.0);
}

#[test]
fn smollm2_4bit_answers_too() {
    let model = load("smollm2-135m-4bit");
    let outcome = collect(model.generate(chat("What is the capital of France?", 24))).unwrap();
    assert!(outcome.text.contains("Paris"), "{:?}", outcome.text);
}

#[test]
fn scores_come_with_every_generated_token_and_change_nothing() {
    let model = load("smollm2-135m-f32");
    let plain = collect(model.generate(chat("What is the capital of France?", 24))).unwrap();
    let scored = collect(model.generate(GenerationRequest {
        logprobs: Some(5),
        ..chat("What is the capital of France?", 24)
    }))
    .unwrap();
    assert_eq!(
        scored.tokens, plain.tokens,
        "asking for scores changes no token"
    );
    assert!(plain.logprobs.is_empty(), "none unless asked");
    // Every token but the end-of-sequence one that ended the answer.
    assert_eq!(scored.reason, FinishReason::Stop);
    assert_eq!(scored.logprobs.len(), scored.stats.generated_tokens - 1);
    let mut text = Vec::new();
    for score in &scored.logprobs {
        assert_eq!(score.top.len(), 5);
        assert!(score.top.windows(2).all(|w| w[0].logprob >= w[1].logprob));
        // Greedy: the chosen token is the most likely one.
        assert_eq!(score.top[0].token_id, score.token_id);
        assert_eq!(score.top[0].logprob, score.logprob);
        assert!(score.logprob <= 0.0);
        let mass: f32 = score.top.iter().map(|t| t.logprob.exp()).sum();
        assert!(mass <= 1.0 + 1e-4, "{mass}");
        text.extend_from_slice(&score.bytes);
    }
    assert_eq!(
        String::from_utf8(text).unwrap(),
        scored.text,
        "the bytes spell the answer"
    );
}

#[test]
fn presence_and_frequency_penalties_steer_greedy_decoding_away_from_repeats() {
    // With these penalties the loop waits for each token before queuing the next step (the
    // sampler reads it); exact parity with mlx-lm is the sampling reference test's job.
    let model = load("tiny-qwen3");
    let sampling = SamplingParams {
        frequency_penalty: 0.7,
        presence_penalty: 0.3,
        ..SamplingParams::default()
    };
    let penalized = collect(model.generate(GenerationRequest {
        sampling,
        ..request("Hello there", 32)
    }))
    .unwrap();
    let plain = collect(model.generate(request("Hello there", 32))).unwrap();
    assert_ne!(
        penalized.tokens, plain.tokens,
        "the penalties steer this greedy answer"
    );
    let distinct = |tokens: &[u32]| {
        tokens
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    assert!(distinct(&penalized.tokens) > distinct(&plain.tokens));
}

#[test]
fn the_same_seed_gives_the_same_text_and_another_seed_another() {
    let model = load("tiny-qwen3");
    let sampled = |seed| {
        let sampling = SamplingParams {
            temperature: 1.0,
            seed: Some(seed),
            ..SamplingParams::default()
        };
        collect(model.generate(GenerationRequest {
            sampling,
            ..request("Hello there", 40)
        }))
        .unwrap()
        .tokens
    };
    assert_eq!(sampled(7), sampled(7));
    assert_ne!(sampled(7), sampled(8));
}

#[test]
fn a_loaded_model_serves_requests_one_after_another() {
    let model = load("tiny-qwen3");
    let first = collect(model.generate(request("One two three", 16))).unwrap();
    let second = collect(model.generate(request("One two three", 16))).unwrap();
    assert_eq!(
        first.tokens, second.tokens,
        "greedy is deterministic and the cache starts fresh"
    );
    assert_eq!(first.reason, FinishReason::Length);
    assert_eq!(first.stats.generated_tokens, 16);
}

#[test]
fn a_stop_string_ends_generation_and_is_never_emitted() {
    let model = load("tiny-qwen3");
    let free = collect(model.generate(request("The quick brown fox", 48))).unwrap();
    // A stop string taken from the middle of the free-running text, spanning tokens.
    let chars: Vec<char> = free.text.chars().collect();
    assert!(chars.len() > 20, "{:?}", free.text);
    let stop: String = chars[chars.len() / 2..chars.len() / 2 + 3].iter().collect();
    let expected = &free.text[..free.text.find(&stop).unwrap()];
    let stopped = collect(model.generate(GenerationRequest {
        stop: vec![stop.clone()],
        ..request("The quick brown fox", 48)
    }))
    .unwrap();
    assert_eq!(stopped.reason, FinishReason::StopSequence(stop.clone()));
    assert_eq!(stopped.text, expected);
    assert!(!stopped.text.contains(&stop));
}

#[test]
fn dropping_the_receiver_cancels_within_a_step_and_the_model_moves_on() {
    let model = load("tiny-qwen3");
    let mut events = model.generate(request("Count forever", 1_000_000));
    for _ in 0..3 {
        events.blocking_recv().unwrap().unwrap();
    }
    drop(events);
    let started = Instant::now();
    let next = collect(model.generate(request("Hello", 4))).unwrap();
    assert_eq!(next.stats.generated_tokens, 4);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the cancelled request kept the thread busy"
    );
}

#[test]
fn streamed_text_never_splits_a_multi_byte_character() {
    use mlx_manager_inference::text::{StreamingDetokenizer, Tokenizer};
    let tokenizer = Tokenizer::load(&fixture("tiny-qwen3")).unwrap();
    let text = "héllo wörld 🌍 → ✓ 日本語";
    let ids = tokenizer.encode(text, false).unwrap();
    assert!(
        ids.len() > text.chars().count(),
        "multi-byte characters span several tokens"
    );
    let mut detokenizer = StreamingDetokenizer::new();
    let mut streamed = String::new();
    for id in ids {
        let delta = detokenizer.push(&tokenizer, id).unwrap();
        assert!(
            !delta.contains('\u{FFFD}'),
            "a broken character was emitted: {delta:?}"
        );
        streamed.push_str(&delta);
    }
    streamed.push_str(&detokenizer.finish(&tokenizer).unwrap());
    assert_eq!(streamed, text);
}

#[test]
fn facts_count_parameters_the_same_for_dense_and_quantized_weights() {
    let dense = load("tiny-qwen3");
    let quantized = load("tiny-qwen3-4bit");
    assert_eq!(dense.facts.architecture, "qwen3");
    assert!(dense.facts.parameters > 100_000);
    assert_eq!(quantized.facts.parameters, dense.facts.parameters);
    assert_eq!(quantized.facts.quantization_bits, Some(4));
    assert!(quantized.facts.bytes_on_disk * 3 < dense.facts.bytes_on_disk);
    assert_eq!(dense.facts.context_length, Some(2048));
    assert!(dense.facts.has_chat_template);
}

/// 2 (keys and values) × layers × kv heads × head dim from the fixture's config.json, times the
/// bytes of the dtype its cache holds.
fn kv_cache_bytes_per_token_from_config(name: &str, dtype_bytes: u64) -> u64 {
    let text = std::fs::read_to_string(fixture(name).join("config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let field = |key: &str| config[key].as_u64();
    let heads = field("num_attention_heads").unwrap();
    let kv_heads = field("num_key_value_heads").unwrap_or(heads);
    let head_dim = field("head_dim").unwrap_or_else(|| field("hidden_size").unwrap() / heads);
    2 * field("num_hidden_layers").unwrap() * kv_heads * head_dim * dtype_bytes
}

#[test]
fn facts_give_the_kv_cache_bytes_per_token_in_the_dtype_the_cache_holds() {
    // The cache holds the activations' dtype: the weights' float dtype (config.json's
    // torch_dtype is stale in the converted fixtures), with quantized weights that of the
    // scales promoted with the norms' weights. smollm2-135m-4bit has f16 scales but f32 norms,
    // so its keys are f32, as mlx-lm's are.
    for (name, dtype_bytes) in [
        ("tiny-qwen3", 4),
        ("tiny-qwen3-bf16", 2),
        ("tiny-qwen3-f16", 2),
        ("tiny-qwen3-4bit", 4),
        ("smollm2-135m-4bit", 4),
    ] {
        assert_eq!(
            load(name).facts.kv_cache_bytes_per_token,
            kv_cache_bytes_per_token_from_config(name, dtype_bytes),
            "{name}"
        );
    }
}

fn load_error(dir: &std::path::Path) -> InferenceError {
    match ModelWorker::load(dir) {
        Ok(_) => panic!("{} should not load", dir.display()),
        Err(error) => error,
    }
}

#[test]
fn an_unknown_architecture_is_a_typed_error_naming_the_supported_ones() {
    let dir = copy_of("tiny-qwen3");
    edit_json(&dir.path().join("config.json"), |c| {
        c["model_type"] = "gpt_neox".into()
    });
    match load_error(dir.path()) {
        InferenceError::UnsupportedArchitecture {
            model_type,
            supported,
        } => {
            assert_eq!(model_type, "gpt_neox");
            assert!(supported.contains("llama") && supported.contains("qwen3"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_files_are_typed_errors() {
    for missing in ["config.json", "tokenizer.json", "model.safetensors"] {
        let dir = copy_of("tiny-llama");
        std::fs::remove_file(dir.path().join(missing)).unwrap();
        if missing == "model.safetensors" {
            std::fs::remove_file(dir.path().join("model.safetensors.index.json")).unwrap();
        }
        let error = load_error(dir.path());
        assert!(
            matches!(error, InferenceError::ModelFile { .. }),
            "{missing}: {error:?}"
        );
    }
}

#[test]
fn corrupt_weights_are_a_typed_error_not_a_crash() {
    let dir = copy_of("tiny-llama");
    let weights = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 3]).unwrap();
    match load_error(dir.path()) {
        // Data is read layer by layer after the header: the error still names the file.
        InferenceError::ModelFile { path, .. } => assert!(path.ends_with("model.safetensors")),
        other => panic!("{other:?}"),
    }
    std::fs::write(&weights, b"not safetensors at all").unwrap();
    assert!(matches!(
        load_error(dir.path()),
        InferenceError::ModelFile { .. }
    ));
}

#[test]
fn weights_that_do_not_fit_the_config_are_a_typed_error() {
    let dir = copy_of("tiny-qwen3");
    edit_json(&dir.path().join("config.json"), |c| {
        c["intermediate_size"] = 999.into()
    });
    let error = load_error(dir.path());
    assert!(matches!(error, InferenceError::Weight { .. }), "{error:?}");
    let dir = copy_of("tiny-qwen3");
    edit_json(&dir.path().join("config.json"), |c| {
        c["vocab_size"] = 1000.into()
    });
    assert!(matches!(
        load_error(dir.path()),
        InferenceError::Weight { .. }
    ));
}

#[test]
fn a_prompt_longer_than_the_context_is_refused() {
    let dir = copy_of("tiny-qwen3");
    edit_json(&dir.path().join("config.json"), |c| {
        c["max_position_embeddings"] = 8.into()
    });
    let model = ModelWorker::load(dir.path()).unwrap();
    let error = collect(model.generate(request(
        "a prompt with clearly more than eight tokens in it",
        4,
    )))
    .err()
    .expect("refused");
    assert!(
        matches!(error, InferenceError::PromptTooLong { context: 8, .. }),
        "{error:?}"
    );
}

#[test]
fn loading_reports_weight_progress_layer_by_layer_and_measures_the_memory_it_took() {
    use mlx_manager_inference::generation::{LoadProgress, MemorySource};
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<LoadProgress>>> = Arc::default();
    let record = seen.clone();
    let model = ModelWorker::load_with_progress(&fixture("tiny-qwen3"), move |p| {
        record.lock().unwrap().push(p)
    })
    .unwrap();
    let seen = seen.lock().unwrap().clone();
    let total = model.facts.bytes_on_disk;
    assert_eq!(seen.first().map(|p| p.bytes_loaded), Some(0), "{seen:?}");
    assert_eq!(
        seen.last().copied(),
        Some(LoadProgress {
            bytes_loaded: total,
            bytes_total: total
        })
    );
    assert!(
        seen.windows(2)
            .all(|w| w[0].bytes_loaded <= w[1].bytes_loaded)
    );
    // A one-file checkpoint still advances as its layers are read, not 0 then all.
    let between = seen
        .iter()
        .filter(|p| p.bytes_loaded > 0 && p.bytes_loaded < total)
        .count();
    assert!(between >= 2, "{seen:?}");
    // The tensors take about what the file holds (less its header); MLX's growth is at least that.
    assert!(
        model.memory.resident_bytes >= total * 9 / 10,
        "{:?} for {total} bytes on disk",
        model.memory
    );
    assert!(matches!(
        model.memory.source,
        MemorySource::MlxActiveMemory | MemorySource::WeightBytes
    ));
    eprintln!("{:?}", model.memory);
}

#[test]
fn a_load_counts_the_host_memory_its_tokenizer_keeps() {
    // SmolLM2's 3.5 MB tokenizer.json keeps about 8 MB once parsed, outside MLX's arrays.
    let model = load("smollm2-135m-f32");
    assert!(
        model.memory.host_bytes >= 4 << 20,
        "{:?}: the tokenizer's memory is missing",
        model.memory
    );
}
