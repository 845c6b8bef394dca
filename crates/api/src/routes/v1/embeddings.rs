//! `POST /v1/embeddings` (OpenAI-compatible): unit vectors from a decoder model's final hidden
//! state (last-token pooling), as floats or base64 of little-endian float32.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use base64::Engine;
use mlx_manager_inference::generation::EmbeddingInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::answer::timed_out;
use super::errors;
use crate::error::{ApiError, model_api_error};
use crate::extract::CurrentUser;
use crate::json::ApiJson;
use crate::problem::FieldError;
use crate::state::AppState;
use crate::usage::AuditTicket;

/// Most inputs one request may hold (the OpenAI API's limit).
const MAX_INPUTS: usize = 2048;

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbeddingsRequest {
    /// A profile's name or a downloaded model's repository id.
    pub model: String,
    /// A string, a list of strings, a list of token ids, or a list of such lists (≤ 2048).
    pub input: EmbeddingInputField,
    /// `float` (the default) or `base64` (little-endian float32).
    pub encoding_format: Option<String>,
    /// Keep only the first this many dimensions, normalised again.
    pub dimensions: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EmbeddingInputField {
    One(String),
    Many(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingList {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<EmbeddingData>,
    pub model: String,
    pub usage: EmbeddingUsage,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingData {
    /// Always `embedding`.
    pub object: &'static str,
    /// The input's position in the request.
    pub index: usize,
    pub embedding: EmbeddingVector,
}

/// The floats, or their little-endian float32 bytes in base64.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EmbeddingVector {
    Float(Vec<f32>),
    Base64(String),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingUsage {
    pub prompt_tokens: usize,
    pub total_tokens: usize,
}

impl EmbeddingsRequest {
    /// The inputs, whether to answer in base64, and the dimensions; every invalid field named.
    fn parse(self) -> Result<(Vec<EmbeddingInput>, bool, Option<usize>), ApiError> {
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        };
        let inputs: Vec<EmbeddingInput> = match self.input {
            EmbeddingInputField::One(text) => vec![EmbeddingInput::Text(text)],
            EmbeddingInputField::Many(texts) => {
                texts.into_iter().map(EmbeddingInput::Text).collect()
            }
            EmbeddingInputField::Tokens(ids) => vec![EmbeddingInput::Tokens(ids)],
            EmbeddingInputField::TokenLists(lists) => {
                lists.into_iter().map(EmbeddingInput::Tokens).collect()
            }
        };
        if inputs.is_empty() || inputs.len() > MAX_INPUTS {
            refuse("input", "must hold 1 to 2048 inputs");
        }
        let empty = |input: &EmbeddingInput| match input {
            EmbeddingInput::Text(text) => text.is_empty(),
            EmbeddingInput::Tokens(ids) => ids.is_empty(),
        };
        if let Some(index) = inputs.iter().position(empty) {
            refuse(&format!("input[{index}]"), "must not be empty");
        }
        let base64 = match self.encoding_format.as_deref() {
            None | Some("float") => false,
            Some("base64") => true,
            Some(_) => {
                refuse("encoding_format", "must be `float` or `base64`");
                false
            }
        };
        if self.dimensions == Some(0) {
            refuse("dimensions", "must be at least 1");
        }
        match errors.is_empty() {
            true => Ok((inputs, base64, self.dimensions.map(|d| d as usize))),
            false => Err(ApiError::Validation(errors)),
        }
    }
}

/// Embeddings of the inputs from a profile or a downloaded model, loaded on demand (members
/// need `members_load_models` for that); bounded by `embeddings_timeout_secs`.
#[utoipa::path(
    post,
    path = "/v1/embeddings",
    tag = "openai",
    security(("bearer" = []), ("api_key" = [])),
    request_body = EmbeddingsRequest,
    responses(
        (status = 200, description = "One unit vector per input, in order", body = EmbeddingList),
        errors::BadRequest,
        errors::Unauthorized,
        errors::Forbidden,
        errors::NotFound,
        errors::Overloaded,
        errors::ModelFailed,
        errors::Unavailable,
    ),
)]
pub async fn embeddings(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ticket: AuditTicket,
    ApiJson(body): ApiJson<EmbeddingsRequest>,
) -> Result<Json<EmbeddingList>, ApiError> {
    let model = body.model.clone();
    ticket.model(&model);
    let (inputs, base64, dimensions) = body.parse()?;
    let limit = Duration::from_secs(state.model_api.embeddings_timeout_secs);
    let embedding = state
        .serving
        .embed(&caller.user, &model, inputs, dimensions);
    let embeddings = tokio::time::timeout(limit, embedding)
        .await
        .map_err(|_| timed_out(limit))?
        .map_err(model_api_error)?;
    ticket.tokens(embeddings.prompt_tokens as u64, None);
    let data = embeddings
        .vectors
        .into_iter()
        .enumerate()
        .map(|(index, vector)| EmbeddingData {
            object: "embedding",
            index,
            embedding: match base64 {
                true => EmbeddingVector::Base64(encode(&vector)),
                false => EmbeddingVector::Float(vector),
            },
        })
        .collect();
    Ok(Json(EmbeddingList {
        object: "list",
        data,
        model,
        usage: EmbeddingUsage {
            prompt_tokens: embeddings.prompt_tokens,
            total_tokens: embeddings.prompt_tokens,
        },
    }))
}

fn encode(vector: &[f32]) -> String {
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
