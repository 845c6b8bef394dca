//! A model directory loaded for generation: the network, its tokenizer and chat template, and
//! the ids that end a sequence, gathered from every file that names them.

use std::collections::BTreeSet;
use std::path::Path;

use crate::InferenceError;
use crate::generation::Prompt;
use crate::generation::prompt::{encode_prompt, segment_ends};
use crate::generation::prompt_cache::SegmentKind;
use crate::model::Model;
use crate::text::Tokenizer;
use crate::text::chat_template::ChatTemplate;
use crate::text::reasoning::ReasoningTags;
use crate::text::tool_calls::ToolFormat;

/// Everything generation needs from one model directory; the worker thread owns it.
pub struct ModelBundle {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub template: Option<ChatTemplate>,
    pub eos_ids: BTreeSet<u32>,
    /// `<think>`/`</think>`, when the model reasons.
    pub reasoning: Option<ReasoningTags>,
}

impl ModelBundle {
    pub fn load(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<Self, InferenceError> {
        // The tokenizer first: parsing it briefly takes several times what it keeps (~35 MB
        // for SmolLM2's 3.5 MB tokenizer.json), which is then handed back before the weights
        // arrive instead of adding to their peak.
        let tokenizer = Tokenizer::load(dir)?;
        crate::memory_release::release_freed_memory();
        let model = Model::load_with_progress(dir, progress)?;
        let template = ChatTemplate::load(dir)?;
        let eos_ids = eos_ids(dir, &model, &tokenizer);
        let reasoning = ReasoningTags::of(&tokenizer);
        crate::memory_release::release_freed_memory();
        Ok(Self {
            reasoning,
            model,
            tokenizer,
            template,
            eos_ids,
        })
    }

    /// How the model writes tool calls, from its chat template and tokenizer config.
    pub fn tool_format(&self) -> Option<ToolFormat> {
        self.template.as_ref().and_then(ChatTemplate::tool_format)
    }

    pub fn prompt_ids(&self, prompt: &Prompt) -> Result<Vec<u32>, InferenceError> {
        encode_prompt(&self.tokenizer, self.template.as_ref(), prompt)
    }

    /// Where `prompt`'s reusable segments end in `ids`, its encoding (see [`segment_ends`]).
    pub fn segment_ends(&self, prompt: &Prompt, ids: &[u32]) -> Vec<(usize, SegmentKind)> {
        segment_ends(&self.tokenizer, self.template.as_ref(), prompt, ids)
    }
}

/// End-of-sequence ids from config.json, generation_config.json and the tokenizer's eos token.
fn eos_ids(dir: &Path, model: &Model, tokenizer: &Tokenizer) -> BTreeSet<u32> {
    let mut ids: BTreeSet<u32> = model
        .config
        .eos_token_id
        .iter()
        .flat_map(|e| e.ids())
        .collect();
    if let Ok(text) = std::fs::read_to_string(dir.join("generation_config.json"))
        && let Ok(config) = serde_json::from_str::<serde_json::Value>(&text)
    {
        match &config["eos_token_id"] {
            serde_json::Value::Number(n) => ids.extend(n.as_u64().map(|n| n as u32)),
            serde_json::Value::Array(list) => {
                ids.extend(list.iter().filter_map(|v| v.as_u64()).map(|n| n as u32))
            }
            _ => {}
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("tokenizer_config.json"))
        && let Ok(config) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let eos = &config["eos_token"];
        let token = eos.as_str().or_else(|| eos["content"].as_str());
        ids.extend(token.and_then(|t| tokenizer.token_id(t)));
    }
    ids
}
