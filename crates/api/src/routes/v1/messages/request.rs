//! The bodies of `POST /v1/messages` and `POST /v1/messages/count_tokens`, as the Anthropic API
//! defines them, and their translation into serving's [`ClientRequest`] — every refusal naming
//! its field.

use mlx_manager_inference::text::chat_template::ChatMessage;
use mlx_manager_serving::{ClientInput, ClientRequest};
use serde::Deserialize;
use serde_json::{Map, json};
use utoipa::ToSchema;

use super::blocks::{self, AnthropicTool, AnthropicToolChoice, ContentBlockIn};
use crate::error::ApiError;
use crate::problem::FieldError;

/// Most stop sequences a request may give (as profiles).
const MAX_STOP: usize = 16;

/// A message request. Fields this server does not use (`metadata`, `service_tier`, …) are
/// ignored; fields it knows but cannot honour yet are refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MessagesRequest {
    /// A profile's name or a downloaded model's repository id.
    pub model: String,
    /// Most tokens to generate (required, at least 1).
    pub max_tokens: u32,
    #[serde(flatten)]
    pub conversation: Conversation,
    /// 0–1; default: the profile's, else 1.
    pub temperature: Option<f32>,
    /// (0, 1].
    pub top_p: Option<f32>,
    /// 0 = off.
    pub top_k: Option<u32>,
    /// Up to 16 strings; generation ends before any of them (`stop_reason: stop_sequence`).
    pub stop_sequences: Option<Vec<String>>,
    /// Answer as Server-Sent Events.
    pub stream: Option<bool>,
}

/// What `count_tokens` takes: the conversation, no generation settings.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CountTokensRequest {
    pub model: String,
    #[serde(flatten)]
    pub conversation: Conversation,
}

/// The conversation, shared by both requests.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Conversation {
    pub messages: Vec<AnthropicMessage>,
    /// A string or a list of text blocks.
    pub system: Option<TextField>,
    /// Tools the model may call; its calls come back as `tool_use` blocks.
    pub tools: Option<Vec<AnthropicTool>>,
    /// `auto` (the default), `any` (not enforced without constrained decoding), `tool` with a
    /// `name` (the only tool shown), or `none`.
    pub tool_choice: Option<AnthropicToolChoice>,
    /// `{"type": "enabled"}` or `{"type": "disabled"}`: a reasoning model's thinking on or off
    /// (the chat template's `enable_thinking`); its thinking comes back as `thinking` blocks.
    pub thinking: Option<Thinking>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Thinking {
    /// `enabled` or `disabled`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AnthropicRole {
    User,
    Assistant,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AnthropicMessage {
    pub role: AnthropicRole,
    /// A string, or content blocks: text, thinking and tool_use (assistant), tool_result (user).
    pub content: TextField,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum TextField {
    Text(String),
    Blocks(Vec<ContentBlockIn>),
}

impl MessagesRequest {
    pub fn streaming(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// Serving's request; every invalid or unsupported field is reported at once.
    pub fn into_client_request(self) -> Result<ClientRequest, ApiError> {
        let mut errors = Vec::new();
        let conversation = self.conversation.parse(&mut errors);
        let mut refuse = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.to_string(),
                message: message.to_string(),
            });
        };
        if self.max_tokens == 0 {
            refuse("max_tokens", "must be at least 1");
        }
        if self.temperature.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
            refuse("temperature", "must be between 0 and 1");
        }
        if self.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
            refuse("top_p", "must be more than 0 and at most 1");
        }
        if let Some(stop) = &self.stop_sequences {
            if stop.len() > MAX_STOP {
                refuse("stop_sequences", "may hold at most 16 sequences");
            }
            if stop.iter().any(String::is_empty) {
                refuse("stop_sequences", "sequences must not be empty");
            }
        }
        let Some(input) = conversation.filter(|_| errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        let mut request = ClientRequest::new(input);
        request.max_tokens = Some(self.max_tokens as usize);
        request.temperature = self.temperature;
        request.top_p = self.top_p;
        request.top_k = self.top_k.map(|k| k as usize);
        request.stop = self.stop_sequences;
        Ok(request)
    }
}

impl CountTokensRequest {
    pub fn into_client_request(self) -> Result<ClientRequest, ApiError> {
        let mut errors = Vec::new();
        match self.conversation.parse(&mut errors) {
            Some(input) if errors.is_empty() => Ok(ClientRequest::new(input)),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

impl Conversation {
    /// The chat input, or `None` with the reasons added to `errors`.
    fn parse(self, errors: &mut Vec<FieldError>) -> Option<ClientInput> {
        let before = errors.len();
        let mut refuse = |field: String, message: String| {
            errors.push(FieldError { field, message });
        };
        if self.messages.is_empty() {
            refuse("messages".into(), "must hold at least one message".into());
        }
        let mut messages = Vec::with_capacity(self.messages.len() + 1);
        if let Some(system) = &self.system {
            match text_of(system) {
                Ok(text) => messages.push(ChatMessage::new("system", text)),
                Err(reason) => refuse("system".into(), reason),
            }
        }
        for (index, message) in self.messages.iter().enumerate() {
            let role = match message.role {
                AnthropicRole::User => "user",
                AnthropicRole::Assistant => "assistant",
            };
            match &message.content {
                TextField::Text(text) => messages.push(ChatMessage::new(role, text.as_str())),
                TextField::Blocks(content) => {
                    let field = format!("messages[{index}].content");
                    messages.extend(blocks::messages_of(role, content, &field, &mut refuse));
                }
            }
        }
        let (tools, tool_choice) = blocks::offered(self.tools, self.tool_choice, &mut refuse);
        let mut template_options = Map::new();
        match self.thinking.as_ref().map(|t| t.kind.as_str()) {
            None => {}
            Some(kind @ ("enabled" | "disabled")) => {
                template_options.insert("enable_thinking".into(), json!(kind == "enabled"));
            }
            Some(other) => refuse(
                "thinking.type".into(),
                format!("`{other}` is neither `enabled` nor `disabled`"),
            ),
        }
        (errors.len() == before).then_some(ClientInput::Chat {
            messages,
            template_options,
            tools,
            tool_choice,
        })
    }
}

/// The text of a `system` field: a string or text blocks.
fn text_of(field: &TextField) -> Result<String, String> {
    match field {
        TextField::Text(text) => Ok(text.clone()),
        TextField::Blocks(blocks) => blocks
            .iter()
            .map(|block| match (block.kind.as_str(), &block.text) {
                ("text", Some(text)) => Ok(text.as_str()),
                _ => Err("the system prompt may hold only text blocks".to_string()),
            })
            .collect(),
    }
}
