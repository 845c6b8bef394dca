//! The body of `POST /v1/completions` (OpenAI's legacy text completions) and its translation
//! into serving's [`ClientRequest`]: a raw prompt, no chat template.

use mlx_manager_serving::{ClientInput, ClientRequest};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::problem::FieldError;
use crate::routes::v1::chat::request::{StopField, StreamOptions};
use crate::routes::v1::sampling::SamplingFields;

/// The OpenAI API's default length of a text completion.
const DEFAULT_MAX_TOKENS: usize = 16;

/// A text completion request. Unused fields (`user`, …) are ignored; known ones that cannot be
/// honoured yet are refused by name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompletionRequest {
    /// A profile's name or a downloaded model's repository id.
    pub model: String,
    /// A string, or a list holding one string.
    #[schema(value_type = Object)]
    pub prompt: Value,
    /// Default: the profile's, else 16.
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<u32>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    /// [-2, 2]; 0 = off (as in chat completions).
    pub frequency_penalty: Option<f32>,
    /// [-2, 2]; 0 = off.
    pub presence_penalty: Option<f32>,
    pub seed: Option<i64>,
    pub stop: Option<StopField>,
    /// Only 1.
    pub n: Option<u32>,
    /// Put the prompt before the completion in `text`.
    pub echo: Option<bool>,
    /// 0–20: report each generated token's log-probability with this many most likely
    /// alternatives (not with `echo`: the prompt's tokens are not scored).
    pub logprobs: Option<u32>,
    /// Not supported: refused when given.
    pub suffix: Option<String>,
    pub stream: Option<bool>,
    pub stream_options: Option<StreamOptions>,
}

impl CompletionRequest {
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

    /// The prompt text (for `echo`) and serving's request (whose `logprobs` says whether scores
    /// are reported); every bad field reported at once.
    pub fn into_client_request(self) -> Result<(String, ClientRequest), ApiError> {
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.to_string(),
                message: message.to_string(),
            });
        };
        let prompt = match &self.prompt {
            Value::String(text) => Some(text.clone()),
            Value::Array(items) if items.len() == 1 => items[0].as_str().map(str::to_string),
            _ => None,
        };
        match &prompt {
            None => refuse("prompt", "must be a string or a list of one string"),
            Some(text) if text.is_empty() => refuse("prompt", "must not be empty"),
            Some(_) => {}
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
        if self.max_tokens == Some(0) {
            refuse("max_tokens", "must be at least 1");
        }
        if self.n.is_some_and(|n| n != 1) {
            refuse("n", "only 1 choice per request is supported");
        }
        if self.logprobs.is_some_and(|n| n > 20) {
            refuse("logprobs", "must be at most 20");
        }
        if self.logprobs.is_some() && self.echo == Some(true) {
            refuse(
                "logprobs",
                "is not supported with echo (the prompt's tokens are not scored)",
            );
        }
        if self.suffix.is_some() {
            refuse("suffix", "is not supported (no fill-in-the-middle)");
        }
        let (Some(prompt), true) = (prompt, errors.is_empty()) else {
            return Err(ApiError::Validation(errors));
        };
        let echoed = match self.echo {
            Some(true) => prompt.clone(),
            _ => String::new(),
        };
        let mut request = ClientRequest::new(ClientInput::Text(prompt));
        request.max_tokens = self.max_tokens.map(|m| m as usize);
        request.fallback_max_tokens = Some(DEFAULT_MAX_TOKENS);
        request.logprobs = self.logprobs.map(|n| n as usize);
        sampling.apply(&mut request);
        Ok((echoed, request))
    }
}
