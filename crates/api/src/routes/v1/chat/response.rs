//! What `POST /v1/chat/completions` answers: a `chat.completion`, or a stream of
//! `chat.completion.chunk`s, in the OpenAI API's shapes.

use std::time::{SystemTime, UNIX_EPOCH};

use mlx_manager_inference::generation::{FinishReason, GenerationStats};
use mlx_manager_inference::text::tool_calls::ToolCall;
use serde::Serialize;
use utoipa::ToSchema;

use super::super::answer::Answer;
use super::super::logprobs::ChatLogprobs;

/// The fields every chunk of one answer repeats unchanged.
#[derive(Debug, Clone)]
pub struct AnswerIdentity {
    pub id: String,
    pub created: u64,
    pub model: String,
}

impl AnswerIdentity {
    pub fn new(model: &str) -> Self {
        Self::with_prefix("chatcmpl", model)
    }

    /// An identity whose id starts with `prefix-`.
    pub fn with_prefix(prefix: &str, model: &str) -> Self {
        Self {
            id: format!("{prefix}-{}", uuid::Uuid::new_v4().simple()),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            model: model.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct Usage {
    /// The prompt's tokens, as rendered by the chat template.
    pub prompt_tokens: usize,
    /// The generated tokens.
    pub completion_tokens: usize,
    pub total_tokens: usize,
    pub prompt_tokens_details: PromptTokensDetails,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub struct PromptTokensDetails {
    /// Of the prompt's tokens, those read from the model's prompt cache (a prefix seen
    /// before) rather than computed again.
    pub cached_tokens: usize,
}

impl From<&GenerationStats> for Usage {
    fn from(stats: &GenerationStats) -> Self {
        Self {
            prompt_tokens: stats.prompt_tokens,
            completion_tokens: stats.generated_tokens,
            total_tokens: stats.prompt_tokens + stats.generated_tokens,
            prompt_tokens_details: PromptTokensDetails {
                cached_tokens: stats.cached_tokens,
            },
        }
    }
}

/// `stop` (end of sequence or a stop sequence), `tool_calls` (the turn ended after calls) or
/// `length` (`max_tokens` or the context's end).
pub fn finish_reason(reason: &FinishReason, ended_for_tools: bool) -> &'static str {
    match reason {
        _ if ended_for_tools => "tool_calls",
        FinishReason::Stop | FinishReason::StopSequence(_) => "stop",
        FinishReason::Length => "length",
    }
}

/// A whole answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatCompletion {
    pub id: String,
    /// Always `chat.completion`.
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Usage,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    /// `stop`, `length` or `tool_calls`.
    pub finish_reason: &'static str,
    /// Each generated token's log-probability, with `logprobs: true`; null otherwise.
    pub logprobs: Option<ChatLogprobs>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssistantMessage {
    /// Always `assistant`.
    pub role: &'static str,
    /// The answer, without the model's thinking; null when the model only called tools.
    pub content: Option<String>,
    /// A reasoning model's thinking (`<think>…</think>`), when it thought.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// The same as `reasoning_content`, under the name other clients read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// The tools the model called, when the request offered tools and it called any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallOut>>,
}

/// A call the model made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallOut {
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionCall,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as a JSON object's text.
    pub arguments: String,
}

impl From<&ToolCall> for ToolCallOut {
    fn from(call: &ToolCall) -> Self {
        Self {
            id: call.id.clone(),
            kind: "function",
            function: FunctionCall {
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            },
        }
    }
}

impl ChatCompletion {
    /// The answer; its tokens' scores when `logprobs` was asked for.
    pub fn new(identity: AnswerIdentity, answer: &Answer, logprobs: bool) -> Self {
        let reasoning = Some(answer.reasoning()).filter(|r| !r.is_empty());
        let tool_calls: Vec<ToolCallOut> = answer.tool_calls().map(ToolCallOut::from).collect();
        let content = Some(answer.text()).filter(|text| !text.is_empty() || tool_calls.is_empty());
        Self {
            id: identity.id,
            object: "chat.completion",
            created: identity.created,
            model: identity.model,
            choices: vec![Choice {
                index: 0,
                message: AssistantMessage {
                    role: "assistant",
                    content,
                    reasoning_content: reasoning.clone(),
                    reasoning,
                    tool_calls: Some(tool_calls).filter(|calls| !calls.is_empty()),
                },
                finish_reason: finish_reason(&answer.reason, answer.ended_for_tools()),
                logprobs: logprobs.then(|| ChatLogprobs::of(&answer.logprobs)),
            }],
            usage: Usage::from(&answer.stats),
        }
    }
}

/// One event of a streamed answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatCompletionChunk {
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    /// One choice; empty in the final usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Present only with `stream_options.include_usage`: null on every chunk but the last,
    /// which carries the counts.
    #[serde(skip_serializing_if = "UsageField::is_absent")]
    #[schema(value_type = Option<Usage>)]
    pub usage: UsageField,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    /// Null on every chunk but the last choice chunk.
    pub finish_reason: Option<&'static str>,
    /// With `logprobs: true`: the scores of the tokens that produced this chunk (a token whose
    /// text is held back is reported with the next chunk).
    pub logprobs: Option<ChatLogprobs>,
}

/// What a chunk adds to the message: the role once (first chunk), then content, reasoning
/// (sent under both of its names) or a tool call.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// A piece of a tool call. The official client concatenates strings across deltas, so `id`,
/// `type` and `name` come only in a call's first delta; later ones add argument text.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallDelta {
    /// Which call of the message this adds to.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

impl Delta {
    /// The deltas of call number `index`: its id, type and name with empty arguments, then
    /// the arguments.
    pub fn tool_call(index: usize, call: &ToolCall) -> [Self; 2] {
        let piece = |id: Option<String>, name: Option<String>, arguments: String| Self {
            tool_calls: Some(vec![ToolCallDelta {
                index,
                kind: id.as_ref().map(|_| "function"),
                id,
                function: FunctionDelta { name, arguments },
            }]),
            ..Self::default()
        };
        [
            piece(
                Some(call.id.clone()),
                Some(call.name.clone()),
                String::new(),
            ),
            piece(None, None, call.arguments.clone()),
        ]
    }

    pub fn content(text: String) -> Self {
        Self {
            content: Some(text),
            ..Self::default()
        }
    }

    pub fn reasoning(text: String) -> Self {
        Self {
            reasoning_content: Some(text.clone()),
            reasoning: Some(text),
            ..Self::default()
        }
    }
}

/// A chunk's `usage`: left out, `null`, or the counts.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub enum UsageField {
    Absent,
    Null(Option<Usage>),
}

impl UsageField {
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }
}

impl ChatCompletionChunk {
    /// A chunk with one choice; `usage` null when the final usage chunk will follow.
    pub fn choice(
        identity: &AnswerIdentity,
        delta: Delta,
        finish_reason: Option<&'static str>,
        include_usage: bool,
    ) -> Self {
        Self {
            id: identity.id.clone(),
            object: "chat.completion.chunk",
            created: identity.created,
            model: identity.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                logprobs: None,
            }],
            usage: match include_usage {
                true => UsageField::Null(None),
                false => UsageField::Absent,
            },
        }
    }

    /// The chunk with these tokens' scores.
    pub fn with_logprobs(mut self, logprobs: Option<ChatLogprobs>) -> Self {
        if let Some(choice) = self.choices.first_mut() {
            choice.logprobs = logprobs;
        }
        self
    }

    /// The last chunk with `include_usage`: no choices, the counts.
    pub fn usage(identity: &AnswerIdentity, usage: Usage) -> Self {
        Self {
            id: identity.id.clone(),
            object: "chat.completion.chunk",
            created: identity.created,
            model: identity.model.clone(),
            choices: Vec::new(),
            usage: UsageField::Null(Some(usage)),
        }
    }
}
