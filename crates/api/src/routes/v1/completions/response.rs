//! What `POST /v1/completions` answers: a `text_completion`, whole or as a stream of them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::v1::chat::response::{AnswerIdentity, Usage, UsageField};
use crate::routes::v1::logprobs::TextLogprobs;

/// A whole completion, or one chunk of a streamed one (same shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct Completion {
    /// `cmpl-…`; the same on every chunk.
    pub id: String,
    /// Always `text_completion`.
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    /// One choice; empty in the final usage chunk of a stream.
    pub choices: Vec<CompletionChoice>,
    /// The counts (whole answers, the final usage chunk); null on other chunks with
    /// `include_usage`, absent without.
    #[serde(skip_serializing_if = "UsageField::is_absent")]
    #[schema(value_type = Option<Usage>)]
    pub usage: UsageField,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionChoice {
    pub text: String,
    pub index: u32,
    /// With `logprobs`: the generated tokens' scores (of this chunk's tokens, when streamed).
    pub logprobs: Option<TextLogprobs>,
    /// `stop` or `length`; null until the last choice chunk of a stream.
    pub finish_reason: Option<&'static str>,
}

impl Completion {
    pub fn identity(model: &str) -> AnswerIdentity {
        AnswerIdentity::with_prefix("cmpl", model)
    }

    pub fn choice(
        identity: &AnswerIdentity,
        text: String,
        finish_reason: Option<&'static str>,
        usage: UsageField,
    ) -> Self {
        Self {
            id: identity.id.clone(),
            object: "text_completion",
            created: identity.created,
            model: identity.model.clone(),
            choices: vec![CompletionChoice {
                text,
                index: 0,
                logprobs: None,
                finish_reason,
            }],
            usage,
        }
    }

    /// The chunk with these tokens' scores.
    pub fn with_logprobs(mut self, logprobs: Option<TextLogprobs>) -> Self {
        if let Some(choice) = self.choices.first_mut() {
            choice.logprobs = logprobs;
        }
        self
    }

    pub fn usage_only(identity: &AnswerIdentity, usage: Usage) -> Self {
        Self {
            id: identity.id.clone(),
            object: "text_completion",
            created: identity.created,
            model: identity.model.clone(),
            choices: Vec::new(),
            usage: UsageField::Null(Some(usage)),
        }
    }
}
