//! Rendering cases here and with Python transformers, and comparing the results.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mlx_manager_inference::InferenceError;
use mlx_manager_inference::text::chat_template::{ChatMessage, ChatTemplate, RenderOptions};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

use crate::support::{fixture, workspace};

pub const FIXTURES: &[&str] = &[
    "tiny-llama",
    "tiny-llama-4bit",
    "tiny-qwen2",
    "tiny-qwen2-4bit",
    "tiny-qwen3",
    "tiny-qwen3-4bit",
    "smollm2-135m-4bit",
    "smollm2-135m-f32",
];

pub fn msg(role: &str, content: &str) -> ChatMessage {
    ChatMessage::new(role, content)
}

/// Conversations every template should handle.
pub fn conversations() -> Vec<Vec<ChatMessage>> {
    vec![
        vec![
            msg("system", "You are a helpful assistant."),
            msg("user", "Hello!"),
        ],
        vec![msg("user", "héllo 🌍, ça va? 日本語")],
        vec![
            msg("user", "What is 2+2?"),
            msg("assistant", "4."),
            msg("user", "And 3+3?"),
        ],
        vec![
            msg("system", "  Answer in \"quotes\" \\ with\nnewlines.  "),
            msg("user", " Spaced out \t"),
            msg("assistant", "Sure: 'ok' {braces} <tags>"),
            msg("user", "🌍🚀 émoji"),
        ],
    ]
}

pub struct Case {
    pub model: PathBuf,
    pub messages: Vec<ChatMessage>,
    pub options: RenderOptions,
}

impl Case {
    pub fn new(model: &Path, messages: Vec<ChatMessage>, options: RenderOptions) -> Self {
        Self {
            model: model.to_owned(),
            messages,
            options,
        }
    }
}

/// Every conversation, with and without the generation prompt.
pub fn standard_cases(model: &Path, extra: &Map<String, Value>) -> Vec<Case> {
    let mut cases = Vec::new();
    for messages in conversations() {
        for add_generation_prompt in [false, true] {
            let options = RenderOptions {
                add_generation_prompt,
                extra: extra.clone(),
                ..Default::default()
            };
            cases.push(Case::new(model, messages.clone(), options));
        }
    }
    cases
}

pub fn options(add_generation_prompt: bool, tools: Option<Value>, extra: Value) -> RenderOptions {
    RenderOptions {
        add_generation_prompt,
        tools,
        extra: extra.as_object().cloned().unwrap_or_default(),
    }
}

/// What transformers renders for each case: the text, or its error as "Type: message".
pub fn reference(cases: &[Case]) -> Vec<Result<String, String>> {
    let python = workspace().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./setup",
        python.display()
    );
    // Serialised from the structs, not through `Value` (whose objects sort their keys): the
    // reference must see each message's fields in the order we render them (a template's
    // `tojson` of a tool call's function prints them in that order).
    #[derive(serde::Serialize)]
    struct Input<'a> {
        model: &'a Path,
        messages: &'a [ChatMessage],
        add_generation_prompt: bool,
        tools: &'a Option<Value>,
        extra: &'a Map<String, Value>,
    }
    let input: Vec<Input> = cases
        .iter()
        .map(|case| Input {
            model: &case.model,
            messages: &case.messages,
            add_generation_prompt: case.options.add_generation_prompt,
            tools: &case.options.tools,
            extra: &case.options.extra,
        })
        .collect();
    let mut child = Command::new(python)
        .arg(workspace().join("scripts/reference/apply_chat_template.py"))
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_VERBOSITY", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the transformers reference");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "transformers failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("reference JSON");
    assert_eq!(results.len(), cases.len());
    results
        .into_iter()
        .map(|result| match result.get("text") {
            Some(text) => Ok(text.as_str().unwrap().to_owned()),
            None => Err(result["error"].as_str().unwrap().to_owned()),
        })
        .collect()
}

pub fn ours(case: &Case) -> Result<String, InferenceError> {
    let template = ChatTemplate::load(&case.model)
        .expect("load the chat template")
        .expect("the model has a chat template");
    template.render(&case.messages, &case.options)
}

/// Renders every case here and in transformers and asserts that they agree. Ours is rendered
/// before and after the reference, so that a template reading the clock (`strftime_now`) may
/// match either when the reference ran across a change of minute or day. Returns how many
/// cases were errors on both sides.
pub fn assert_parity(cases: &[Case]) -> usize {
    let before: Vec<_> = cases.iter().map(ours).collect();
    let theirs = reference(cases);
    let after: Vec<_> = cases.iter().map(ours).collect();
    let mut failures = Vec::new();
    let mut errors = 0;
    for (index, case) in cases.iter().enumerate() {
        let agrees = |ours: &Result<String, InferenceError>| match (ours, &theirs[index]) {
            (Ok(ours), Ok(theirs)) => ours == theirs,
            // raise_exception: the same message; other failures: both fail.
            (Err(InferenceError::ChatTemplate(ours)), Err(theirs)) => {
                match theirs.strip_prefix("TemplateError: ") {
                    Some(message) => ours == message,
                    None => true,
                }
            }
            _ => false,
        };
        if agrees(&before[index]) || agrees(&after[index]) {
            errors += usize::from(theirs[index].is_err());
        } else {
            failures.push(format!(
                "{} {:?} {:?}\n  ours:   {:?}\n  theirs: {:?}",
                case.model.display(),
                case.messages,
                case.options,
                after[index],
                theirs[index]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from transformers:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    errors
}

/// A model directory holding `template` in tokenizer_config.json, with a fixture's tokenizer so
/// that transformers loads it too.
pub fn model_with_template(template: &str, bos: Option<&str>, eos: Option<&str>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("tiny-llama").join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    let config = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "chat_template": template,
    });
    std::fs::write(
        dir.path().join("tokenizer_config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    dir
}

/// Tool schemas as OpenAI-style clients send them.
pub fn tools() -> Value {
    json!([
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the weather in a city, in °C.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city, e.g. \"Zürich\""},
                        "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
                    },
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {"name": "now", "description": "The time.", "parameters": {"type": "object", "properties": {}}},
        },
    ])
}
