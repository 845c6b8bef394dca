//! The body of `POST /v1/chat/completions`, as the OpenAI API defines it, and its translation
//! into serving's [`ClientRequest`] — every refusal naming its field.

use mlx_manager_inference::text::chat_template::ChatMessage;
use mlx_manager_serving::{ClientInput, ClientRequest};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::tools::{self, ToolCallIn, ToolChoiceIn, ToolIn};
use crate::error::ApiError;
use crate::problem::FieldError;
use crate::routes::v1::sampling::SamplingFields;

/// A chat completion request. Fields this server does not use (`user`, `store`, `metadata`,
/// `parallel_tool_calls`, …) are ignored; fields it knows but cannot
/// honour yet are refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatCompletionRequest {
    /// A profile's name or a downloaded model's repository id (`GET /v1/models`).
    pub model: String,
    pub messages: Vec<ChatMessageIn>,
    /// Most tokens to generate; default: the profile's, else up to the context's end.
    pub max_tokens: Option<u32>,
    /// The newer name of `max_tokens`; wins when both are given.
    pub max_completion_tokens: Option<u32>,
    /// 0–2; default: the profile's, else 1.
    pub temperature: Option<f32>,
    /// (0, 1].
    pub top_p: Option<f32>,
    /// 0 = off.
    pub top_k: Option<u32>,
    /// [0, 1].
    pub min_p: Option<f32>,
    /// > 0; 1 = off.
    pub repetition_penalty: Option<f32>,
    /// [-2, 2]; subtracted from a recent token's logit once per occurrence (over the last 20
    /// tokens, as mlx-lm). 0 = off.
    pub frequency_penalty: Option<f32>,
    /// [-2, 2]; subtracted once from every recent token's logit. 0 = off.
    pub presence_penalty: Option<f32>,
    pub seed: Option<i64>,
    /// A string or up to 16 strings; generation ends before any of them.
    pub stop: Option<StopField>,
    /// Only 1.
    pub n: Option<u32>,
    /// Report each generated token's log-probability in `choices[].logprobs`.
    pub logprobs: Option<bool>,
    /// 0–20: with `logprobs`, also the most likely tokens at each position.
    pub top_logprobs: Option<u32>,
    /// Answer as Server-Sent Events.
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
    /// Variables for the chat template, e.g. `{"enable_thinking": false}`; over the profile's.
    pub chat_template_kwargs: Option<Map<String, Value>>,
    /// Only `{"type": "text"}` for now.
    pub response_format: Option<Value>,
    /// Functions the model may call; they reach the chat template, and the calls the model
    /// writes come back parsed as `tool_calls`.
    pub tools: Option<Vec<ToolIn>>,
    /// `auto` (the default), `none` (the template is not shown the tools), `required` (not
    /// enforced without constrained decoding), or a named function (the only one shown).
    pub tool_choice: Option<ToolChoiceIn>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StreamOptions {
    /// End the stream with a chunk carrying `usage` (and `choices: []`); every other chunk has
    /// `"usage": null`.
    pub include_usage: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StopField {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize, ToSchema, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    /// The newer name of `system`.
    Developer,
    User,
    Assistant,
    Tool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatMessageIn {
    pub role: Role,
    /// A string, or a list of parts of which only `text` parts are understood.
    pub content: Option<MessageContent>,
    /// On an assistant message: the calls it made.
    pub tool_calls: Option<Vec<ToolCallIn>>,
    /// On a `tool` message (required there): the id of the call it answers.
    pub tool_call_id: Option<String>,
    /// On a `tool` message: the function's name.
    pub name: Option<String>,
    /// On an assistant message: its thinking, given back to the template (Qwen3 re-reads it in
    /// tool loops).
    pub reasoning_content: Option<String>,
    /// The other name of `reasoning_content`.
    pub reasoning: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContentPart {
    /// `text`; `image_url` and `input_audio` are refused (no model here has vision or audio).
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

impl ChatCompletionRequest {
    /// Whether the answer is streamed, and with a final usage chunk.
    pub fn streaming(&self) -> (bool, bool) {
        let stream = self.stream.unwrap_or(false);
        let usage = self
            .stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false);
        (stream, stream && usage)
    }

    /// Serving's request; every invalid or unsupported field is reported at once.
    pub fn into_client_request(self) -> Result<ClientRequest, ApiError> {
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.to_string(),
                message: message.to_string(),
            });
        };
        if self.messages.is_empty() {
            refuse("messages", "must hold at least one message");
        }
        let mut messages = Vec::with_capacity(self.messages.len());
        for (index, message) in self.messages.into_iter().enumerate() {
            if let Some(message) = chat_message(index, message, &mut refuse) {
                messages.push(message);
            }
        }
        let sampling = SamplingFields {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            min_p: self.min_p,
            repetition_penalty: self.repetition_penalty,
            frequency_penalty: self.frequency_penalty,
            presence_penalty: self.presence_penalty,
            seed: self.seed,
            stop: self.stop,
        }
        .check(&mut refuse);
        let max_tokens = self.max_completion_tokens.or(self.max_tokens);
        if max_tokens == Some(0) {
            let field = match self.max_completion_tokens {
                Some(_) => "max_completion_tokens",
                None => "max_tokens",
            };
            refuse(field, "must be at least 1");
        }
        if self.n.is_some_and(|n| n != 1) {
            refuse("n", "only 1 choice per request is supported");
        }
        if self.top_logprobs.is_some_and(|n| n > 20) {
            refuse("top_logprobs", "must be at most 20");
        }
        if self.top_logprobs.is_some_and(|n| n > 0) && self.logprobs != Some(true) {
            refuse("top_logprobs", "needs logprobs: true");
        }
        let logprobs =
            (self.logprobs == Some(true)).then(|| self.top_logprobs.unwrap_or(0) as usize);
        if let Some(format) = &self.response_format
            && format.get("type").and_then(Value::as_str) != Some("text")
        {
            refuse(
                "response_format",
                "only {\"type\": \"text\"} is supported yet (no constrained decoding)",
            );
        }
        let (tools, tool_choice) = tools::offered(self.tools, self.tool_choice, &mut refuse);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let mut request = ClientRequest::new(ClientInput::Chat {
            messages,
            template_options: self.chat_template_kwargs.unwrap_or_default(),
            tools,
            tool_choice,
        });
        request.max_tokens = max_tokens.map(|m| m as usize);
        request.logprobs = logprobs;
        sampling.apply(&mut request);
        Ok(request)
    }
}

/// The role as chat templates know it: `developer` is the newer name of `system`.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::System | Role::Developer => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

/// One message as templates read it; `None` (with the reasons given to `refuse`) when invalid.
fn chat_message(
    index: usize,
    message: ChatMessageIn,
    refuse: &mut impl FnMut(&str, &str),
) -> Option<ChatMessage> {
    let content = message_text(&message)
        .map_err(|reason| refuse(&format!("messages[{index}].content"), &reason))
        .ok();
    let tool_calls = match (message.role, message.tool_calls) {
        (_, None) => None,
        (Role::Assistant, Some(calls)) => {
            let field = format!("messages[{index}].tool_calls");
            Some(tools::earlier_calls(calls, &field, refuse)).filter(|calls| !calls.is_empty())
        }
        (_, Some(_)) => {
            refuse(
                &format!("messages[{index}].tool_calls"),
                "only assistant messages make calls",
            );
            None
        }
    };
    if message.role == Role::Tool && message.tool_call_id.as_deref().is_none_or(str::is_empty) {
        refuse(
            &format!("messages[{index}].tool_call_id"),
            "a tool message needs the id of the call it answers",
        );
    }
    Some(ChatMessage {
        role: role_name(message.role).to_string(),
        content: content?,
        reasoning_content: message.reasoning_content.or(message.reasoning),
        tool_calls,
        tool_call_id: message.tool_call_id,
        name: message.name,
    })
}

fn message_text(message: &ChatMessageIn) -> Result<String, String> {
    match &message.content {
        None => Ok(String::new()),
        Some(MessageContent::Text(text)) => Ok(text.clone()),
        Some(MessageContent::Parts(parts)) => {
            let mut text = String::new();
            for part in parts {
                match (part.kind.as_str(), &part.text) {
                    ("text", Some(part)) => text.push_str(part),
                    ("text", None) => return Err("a text part needs `text`".into()),
                    ("image_url" | "input_image", _) => {
                        return Err("the model has no vision: image parts are not supported".into());
                    }
                    (other, _) => return Err(format!("parts of type `{other}` are not supported")),
                }
            }
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests;
