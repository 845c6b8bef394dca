//! A conversation's message with the fields chat templates read: the text, an assistant's
//! earlier thinking and tool calls, a tool result's call id.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One message of a conversation. Fields left `None` are absent in the template (`is defined`
/// is false), as transformers passes a message dict without them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
    /// An assistant's earlier thinking, under the name Qwen3's template reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// The calls an assistant message made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<MessageToolCall>>,
    /// On a tool result: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// On a tool result: the function's name (some templates print it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
            ..Self::default()
        }
    }
}

/// A call in an assistant message, in the OpenAI shape templates expect.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageToolCall {
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: CalledFunction,
}

impl MessageToolCall {
    pub fn function(id: impl Into<String>, name: impl Into<String>, arguments: Json) -> Self {
        Self {
            id: id.into(),
            kind: "function".into(),
            function: CalledFunction {
                name: name.into(),
                arguments,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalledFunction {
    pub name: String,
    /// A JSON object (templates print it with `tojson`); a client's string of JSON is parsed
    /// into one before it gets here, as transformers' callers do.
    pub arguments: Json,
}
