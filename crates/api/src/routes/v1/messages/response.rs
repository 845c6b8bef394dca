//! What `POST /v1/messages` answers: a `message`, or the Anthropic stream of events, and what
//! `count_tokens` answers.

use mlx_manager_inference::generation::FinishReason;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::super::answer::{Answer, Piece};

/// A whole answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// `msg_…`.
    pub id: String,
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always `assistant`.
    pub role: &'static str,
    pub model: String,
    /// The model's thinking (a reasoning model that thought), the answer's text and the
    /// tools it called, in the order it wrote them.
    pub content: Vec<ContentBlock>,
    /// `end_turn`, `max_tokens`, `stop_sequence` or `tool_use`.
    pub stop_reason: Option<&'static str>,
    /// The stop sequence that ended the answer, if one did.
    pub stop_sequence: Option<String>,
    pub usage: AnthropicUsage,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ContentBlock {
    /// A reasoning model's thinking; `signature` is empty (nothing here verifies it).
    Thinking {
        thinking: String,
        signature: String,
    },
    Text {
        text: String,
    },
    /// A call of one of the request's tools.
    #[serde(rename = "tool_use")]
    ToolUse {
        id: String,
        name: String,
        /// The arguments, a JSON object.
        #[schema(value_type = Object)]
        input: Value,
    },
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct AnthropicUsage {
    /// The prompt's tokens (as rendered by the chat template) computed for this request: those
    /// not read from the prompt cache.
    pub input_tokens: usize,
    /// The prompt's tokens read from the model's prompt cache (a prefix seen before).
    pub cache_read_input_tokens: usize,
    /// Always 0: caching is automatic, nothing is written on request.
    pub cache_creation_input_tokens: usize,
    pub output_tokens: usize,
}

impl AnthropicUsage {
    pub fn new(prompt_tokens: usize, cached_tokens: usize, output_tokens: usize) -> Self {
        Self {
            input_tokens: prompt_tokens.saturating_sub(cached_tokens),
            cache_read_input_tokens: cached_tokens,
            cache_creation_input_tokens: 0,
            output_tokens,
        }
    }
}

/// `{"input_tokens": N}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCount {
    pub input_tokens: usize,
}

/// Why the answer ended, and the stop sequence when that was it.
pub fn stop_reason(reason: &FinishReason, ended_for_tools: bool) -> (&'static str, Option<String>) {
    match reason {
        _ if ended_for_tools => ("tool_use", None),
        FinishReason::Stop => ("end_turn", None),
        FinishReason::StopSequence(stop) => ("stop_sequence", Some(stop.clone())),
        FinishReason::Length => ("max_tokens", None),
    }
}

pub fn message_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

impl Message {
    pub fn new(id: String, model: String, answer: &Answer) -> Self {
        let (stop_reason, stop_sequence) = stop_reason(&answer.reason, answer.ended_for_tools());
        let mut content: Vec<ContentBlock> = answer
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Reasoning(thinking) => ContentBlock::Thinking {
                    thinking: thinking.clone(),
                    signature: String::new(),
                },
                Piece::Text(text) => ContentBlock::Text { text: text.clone() },
                Piece::ToolCall(call) => ContentBlock::ToolUse {
                    id: call.id.clone(),
                    name: call.name.clone(),
                    input: serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({})),
                },
            })
            .collect();
        // Clients read the text block; an answer that wrote none still has one.
        if !content
            .iter()
            .any(|block| !matches!(block, ContentBlock::Thinking { .. }))
        {
            content.push(ContentBlock::Text {
                text: String::new(),
            });
        }
        Self {
            id,
            kind: "message",
            role: "assistant",
            model,
            content,
            stop_reason: Some(stop_reason),
            stop_sequence,
            usage: AnthropicUsage::new(
                answer.stats.prompt_tokens,
                answer.stats.cached_tokens,
                answer.stats.generated_tokens,
            ),
        }
    }
}

/// The events of a streamed answer, each sent with its `event:` line equal to its `type`.
pub mod events {
    use super::super::super::answer::ended_for_tools;
    use super::*;

    pub fn message_start(id: &str, model: &str, prompt_tokens: usize, cached: usize) -> Value {
        json!({
            "type": "message_start",
            "message": {
                "id": id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": model,
                "stop_reason": null,
                "stop_sequence": null,
                "usage": AnthropicUsage::new(prompt_tokens, cached, 0),
            },
        })
    }

    /// A tool_use block opens with an empty input; the arguments follow as `input_json_delta`.
    pub fn tool_use_start(index: usize, id: &str, name: &str) -> Value {
        json!({
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}},
        })
    }

    pub fn input_json_delta(index: usize, partial_json: &str) -> Value {
        json!({
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": partial_json},
        })
    }

    pub fn block_start(index: usize, thinking: bool) -> Value {
        let block = match thinking {
            true => json!({"type": "thinking", "thinking": "", "signature": ""}),
            false => json!({"type": "text", "text": ""}),
        };
        json!({"type": "content_block_start", "index": index, "content_block": block})
    }

    pub fn block_delta(index: usize, thinking: bool, text: &str) -> Value {
        let delta = match thinking {
            true => json!({"type": "thinking_delta", "thinking": text}),
            false => json!({"type": "text_delta", "text": text}),
        };
        json!({"type": "content_block_delta", "index": index, "delta": delta})
    }

    pub fn block_stop(index: usize) -> Value {
        json!({"type": "content_block_stop", "index": index})
    }

    /// The final stop reason and the cumulative output token count.
    pub fn message_delta(reason: &FinishReason, called: bool, output_tokens: usize) -> Value {
        let (stop_reason, stop_sequence) = stop_reason(reason, ended_for_tools(reason, called));
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
            "usage": {"output_tokens": output_tokens},
        })
    }

    pub fn message_stop() -> Value {
        json!({"type": "message_stop"})
    }

    pub fn ping() -> Value {
        json!({"type": "ping"})
    }
}
