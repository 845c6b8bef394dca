//! Request and response bodies of the profile routes.

use mlx_manager_core::domain::Profile;
use mlx_manager_core::domain::profile::{ProfileDraft, ProfilePatchDraft};
use mlx_manager_serving::ProfileView;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::routes::auth::rfc3339;

/// A whole profile (create, replace). Unset optional fields leave the engine's or the request's
/// value; ranges are checked and every invalid field is named in one 422.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileRequest {
    /// 1–64 of letters, digits, `.`, `_`, `-`, `:`; unique regardless of case. `/v1` clients
    /// send it as their `model`.
    #[schema(example = "qwen-fast", min_length = 1, max_length = 64)]
    pub name: String,
    pub description: Option<String>,
    /// A Hugging Face repository id.
    #[schema(example = "mlx-community/Qwen3-0.6B-4bit")]
    pub model: String,
    /// A branch, tag or commit; null = `main`.
    pub revision: Option<String>,
    pub system_prompt: Option<String>,
    /// 0–2.
    pub temperature: Option<f64>,
    /// (0, 1].
    pub top_p: Option<f64>,
    /// ≥ 1.
    pub top_k: Option<i64>,
    /// [0, 1].
    pub min_p: Option<f64>,
    /// > 0.
    pub repetition_penalty: Option<f64>,
    /// ≥ 1.
    pub max_tokens: Option<i64>,
    /// 0 to 2^53-1.
    pub seed: Option<i64>,
    /// At most 16 strings of 1–256 characters.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Tokens of context to serve (and to plan memory for); at most the model's. Null = the
    /// model's.
    pub context_length: Option<i64>,
    /// Handed to the chat template, e.g. `{"enable_thinking": false}`.
    #[serde(default)]
    pub template_options: Map<String, Value>,
    /// Idle seconds before unloading: -1 = keep loaded, 0 = unload after each answer, null =
    /// the pool's default.
    pub keep_alive_secs: Option<i64>,
    /// Load at startup and keep loaded (pinned).
    #[serde(default)]
    pub auto_start: bool,
    /// How `/v1/embeddings` pools the hidden states: `last` (the last token's; the default) or
    /// `mean`.
    #[schema(example = "last")]
    pub embedding_pooling: Option<String>,
}

impl From<ProfileRequest> for ProfileDraft {
    fn from(r: ProfileRequest) -> Self {
        Self {
            name: r.name,
            description: r.description,
            model: r.model,
            revision: r.revision,
            system_prompt: r.system_prompt,
            temperature: r.temperature,
            top_p: r.top_p,
            top_k: r.top_k,
            min_p: r.min_p,
            repetition_penalty: r.repetition_penalty,
            max_tokens: r.max_tokens,
            seed: r.seed,
            stop: r.stop,
            context_length: r.context_length,
            template_options: r.template_options,
            keep_alive_secs: r.keep_alive_secs,
            auto_start: r.auto_start,
            embedding_pooling: r.embedding_pooling,
        }
    }
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Changes to a profile: absent fields stay; `null` clears a nullable one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ProfilePatchRequest {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub revision: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub system_prompt: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub temperature: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub top_p: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub top_k: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub min_p: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub repetition_penalty: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub max_tokens: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub seed: Option<Option<i64>>,
    pub stop: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub context_length: Option<Option<i64>>,
    pub template_options: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub keep_alive_secs: Option<Option<i64>>,
    pub auto_start: Option<bool>,
    /// `last` or `mean`.
    pub embedding_pooling: Option<String>,
}

impl From<ProfilePatchRequest> for ProfilePatchDraft {
    fn from(r: ProfilePatchRequest) -> Self {
        Self {
            name: r.name,
            description: r.description,
            model: r.model,
            revision: r.revision,
            system_prompt: r.system_prompt,
            temperature: r.temperature,
            top_p: r.top_p,
            top_k: r.top_k,
            min_p: r.min_p,
            repetition_penalty: r.repetition_penalty,
            max_tokens: r.max_tokens,
            seed: r.seed,
            stop: r.stop,
            context_length: r.context_length,
            template_options: r.template_options,
            keep_alive_secs: r.keep_alive_secs,
            auto_start: r.auto_start,
            embedding_pooling: r.embedding_pooling,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DuplicateProfileRequest {
    /// The copy's name (the rules of `name`).
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProfileResponse {
    pub id: i32,
    pub name: String,
    pub description: Option<String>,
    pub model: String,
    pub revision: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<u32>,
    pub min_p: Option<f64>,
    pub repetition_penalty: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    pub context_length: Option<u32>,
    pub template_options: Map<String, Value>,
    pub keep_alive_secs: Option<i64>,
    pub auto_start: bool,
    /// `last` or `mean`.
    pub embedding_pooling: String,
    /// Whether the model is ready in the local cache (it may not be downloaded yet, or deleted).
    pub model_available: bool,
    pub created_by: Option<i32>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl From<ProfileView> for ProfileResponse {
    fn from(view: ProfileView) -> Self {
        let Profile {
            id,
            spec,
            created_by,
            created_at,
            updated_at,
        } = view.profile;
        let g = spec.generation;
        Self {
            id,
            name: spec.name.as_str().to_string(),
            description: spec.description.map(|d| d.as_str().to_string()),
            model: spec.model.to_string(),
            revision: spec.revision.map(|r| r.as_str().to_string()),
            system_prompt: spec.system_prompt.map(|p| p.as_str().to_string()),
            temperature: g.temperature.map(|v| v.get()),
            top_p: g.top_p.map(|v| v.get()),
            top_k: g.top_k.map(|v| v.get()),
            min_p: g.min_p.map(|v| v.get()),
            repetition_penalty: g.repetition_penalty.map(|v| v.get()),
            max_tokens: g.max_tokens.map(|v| v.get()),
            seed: g.seed.map(|v| v.get()),
            stop: g.stop.as_slice().to_vec(),
            context_length: spec.context_length.map(|c| c.get()),
            template_options: spec.template_options.as_map().clone(),
            keep_alive_secs: spec.keep_alive.map(|k| k.as_secs()),
            auto_start: spec.auto_start,
            embedding_pooling: spec.embedding_pooling.as_str().to_string(),
            model_available: view.model_available,
            created_by,
            created_at: rfc3339(created_at),
            updated_at: rfc3339(updated_at),
        }
    }
}
