//! Helpers the integration tests share: fixtures, writable copies, collecting a stream.

use std::path::{Path, PathBuf};

use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{
    EventReceiver, FinishReason, GenerationEvent, GenerationRequest, GenerationStats, ModelWorker,
    Prompt, TokenLogprob,
};
use mlx_manager_inference::text::chat_template::{ChatMessage, RenderOptions};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A model from `.fixtures/` (built by ./setup), or from `MLX_MANAGER_FIXTURES`.
pub fn fixture(name: &str) -> PathBuf {
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

/// A writable copy of a fixture, to break on purpose.
pub fn copy_of(name: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture(name)).unwrap().flatten() {
        std::fs::copy(entry.path(), temp.path().join(entry.file_name())).unwrap();
    }
    temp
}

pub fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

/// Everything one request produced.
pub struct Outcome {
    pub text: String,
    pub tokens: Vec<u32>,
    pub reason: FinishReason,
    pub stats: GenerationStats,
    /// The scores, when the request asked for them.
    pub logprobs: Vec<TokenLogprob>,
}

pub fn collect(events: EventReceiver) -> Result<Outcome, mlx_manager_inference::InferenceError> {
    collect_noting_start(events, || {})
}

/// [`collect`], calling `started` when the request starts running.
pub fn collect_noting_start(
    mut events: EventReceiver,
    mut started: impl FnMut(),
) -> Result<Outcome, mlx_manager_inference::InferenceError> {
    let (mut text, mut tokens, mut logprobs) = (String::new(), Vec::new(), Vec::new());
    while let Some(event) = events.blocking_recv() {
        match event? {
            GenerationEvent::Started { .. } => started(),
            GenerationEvent::Delta {
                text: delta,
                token_id,
            }
            | GenerationEvent::Reasoning {
                text: delta,
                token_id,
            } => {
                text.push_str(&delta);
                tokens.push(token_id);
            }
            GenerationEvent::ToolCall(call) => panic!("no request here offers tools: {call:?}"),
            GenerationEvent::Logprob(score) => logprobs.push(score),
            GenerationEvent::Finished { reason, stats } => {
                return Ok(Outcome {
                    text,
                    tokens,
                    reason,
                    stats,
                    logprobs,
                });
            }
        }
    }
    panic!("the stream ended without a Finished event")
}

pub fn load(name: &str) -> ModelWorker {
    ModelWorker::load(&fixture(name)).expect("load fixture")
}

/// A greedy request for `prompt`: no stop strings, tools, reasoning split or scores.
pub fn greedy_request(prompt: Prompt, max_tokens: usize) -> GenerationRequest {
    GenerationRequest {
        prompt,
        max_tokens,
        sampling: SamplingParams::default(),
        stop: Vec::new(),
        split_reasoning: false,
        parse_tool_calls: false,
        logprobs: None,
    }
}

/// [`greedy_request`] for a conversation, rendered to end with the assistant's turn header.
pub fn chat_request(messages: &[ChatMessage], max_tokens: usize) -> GenerationRequest {
    let options = RenderOptions {
        add_generation_prompt: true,
        ..RenderOptions::default()
    };
    let messages = messages.to_vec();
    greedy_request(Prompt::Chat { messages, options }, max_tokens)
}
