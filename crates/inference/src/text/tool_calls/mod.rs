//! Tool calls in a model's output, parsed back into structured calls. Each model family writes
//! them its own way; the format is model knowledge, found as mlx-lm finds it: the
//! `tool_parser_type` of tokenizer_config.json, else the text of the chat template.
//!
//! - [`ToolFormat::HermesJson`] (Qwen2.5, Qwen3, Hermes): `<tool_call>\n{"name": …,
//!   "arguments": {…}}\n</tool_call>`, several in a row for parallel calls.
//! - [`ToolFormat::Llama3Json`] (Llama 3.1–3.3): the whole answer is `{"name": …,
//!   "parameters": {…}}` (or `"arguments"`), optionally after `<|python_tag|>`, several joined
//!   by `;`. mlx-lm has no parser for it.
//! - [`ToolFormat::Mistral`]: `[TOOL_CALLS]` then a JSON list of `{"name", "arguments", "id"?}`
//!   (v3 tokenizers) or `name[ARGS]{…}`, repeated (v11+), to the end of the answer.

mod parse;
mod stream;

use serde_json::{Map, Value};

pub use stream::{ToolCallParser, ToolPart};

/// How a model family writes its tool calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFormat {
    HermesJson,
    Llama3Json,
    Mistral,
}

impl ToolFormat {
    /// The format a model uses: tokenizer_config.json's `tool_parser_type` when it names one
    /// (mlx-lm's names, plus `llama3_json`), else what the chat templates' text shows. `None`
    /// for models without tool calls and for formats this engine does not parse (their calls
    /// stay in the text).
    pub fn detect(tool_parser_type: Option<&str>, templates: &[&str]) -> Option<Self> {
        if let Some(name) = tool_parser_type {
            return match name {
                "json_tools" | "hermes" => Some(Self::HermesJson),
                "llama3_json" | "llama" => Some(Self::Llama3Json),
                "mistral" => Some(Self::Mistral),
                _ => None,
            };
        }
        let any = |needle: &str| templates.iter().any(|t| t.contains(needle));
        // Qwen3-Coder's XML form also opens with <tool_call>; its body is not JSON.
        if any("<tool_call>\n<function=") || any("<tool_call>\\n<function=") {
            None
        } else if any("[TOOL_CALLS]") {
            Some(Self::Mistral)
        } else if any("<tool_call>") && any("tool_call.name") {
            Some(Self::HermesJson)
        } else if any("<|python_tag|>") || (any("ipython") && any("\"parameters\"")) {
            Some(Self::Llama3Json)
        } else {
            None
        }
    }

    /// A new call id: nine alphanumeric characters for Mistral, whose templates refuse any
    /// other length; `call_` and 24 for the others, as OpenAI's look.
    pub fn new_call_id(self) -> String {
        let random = uuid::Uuid::new_v4().simple().to_string();
        match self {
            Self::Mistral => random[..9].to_string(),
            Self::HermesJson | Self::Llama3Json => format!("call_{}", &random[..24]),
        }
    }
}

/// A call the model made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The model's own id when it wrote one (Mistral may), else a new one.
    pub id: String,
    pub name: String,
    /// The arguments as a JSON object's text.
    pub arguments: String,
}

/// A call as parsed, before it gets its id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParsedCall {
    pub name: String,
    pub arguments: Map<String, Value>,
    pub id: Option<String>,
}

#[cfg(test)]
mod tests;
