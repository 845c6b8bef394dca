//! `config.json` of a Hugging Face / mlx-lm model directory.

use std::path::Path;

use serde::Deserialize;

use crate::InferenceError;

/// The fields the engine uses; unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelConfig {
    pub model_type: String,
    pub hidden_size: i32,
    pub num_hidden_layers: usize,
    pub intermediate_size: i32,
    pub num_attention_heads: i32,
    pub num_key_value_heads: Option<i32>,
    pub head_dim: Option<i32>,
    pub vocab_size: i32,
    #[serde(default = "default_rms_norm_eps")]
    pub rms_norm_eps: f32,
    #[serde(default = "default_rope_theta")]
    pub rope_theta: f32,
    #[serde(default)]
    pub rope_traditional: bool,
    pub rope_scaling: Option<RopeScaling>,
    #[serde(default)]
    pub tie_word_embeddings: bool,
    #[serde(default)]
    pub attention_bias: bool,
    pub max_position_embeddings: Option<usize>,
    pub quantization: Option<QuantizationConfig>,
    pub eos_token_id: Option<EosTokenIds>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct QuantizationConfig {
    pub group_size: i32,
    pub bits: i32,
}

/// Llama 3 style frequency scaling (`rope_type: "llama3"`).
#[derive(Debug, Clone, Deserialize)]
pub struct RopeScaling {
    #[serde(alias = "type")]
    pub rope_type: Option<String>,
    pub factor: Option<f32>,
    pub low_freq_factor: Option<f32>,
    pub high_freq_factor: Option<f32>,
    pub original_max_position_embeddings: Option<f32>,
}

/// `eos_token_id` is a number or a list of numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EosTokenIds {
    One(u32),
    Many(Vec<u32>),
}

impl EosTokenIds {
    pub fn ids(&self) -> Vec<u32> {
        match self {
            Self::One(id) => vec![*id],
            Self::Many(ids) => ids.clone(),
        }
    }
}

fn default_rms_norm_eps() -> f32 {
    1e-6
}

fn default_rope_theta() -> f32 {
    10_000.0
}

impl ModelConfig {
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| InferenceError::file(&path, e))?;
        let config: Self = serde_json::from_str(&text)
            .map_err(|e| InferenceError::file(&path, format!("not a model config: {e}")))?;
        config.validate(&path)?;
        Ok(config)
    }

    pub fn kv_heads(&self) -> i32 {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    pub fn head_dim(&self) -> i32 {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads)
    }

    fn validate(&self, path: &Path) -> Result<(), InferenceError> {
        let invalid = |message: String| Err(InferenceError::file(path, message));
        if self.hidden_size <= 0 || self.num_attention_heads <= 0 || self.vocab_size <= 0 {
            return invalid("sizes must be positive".into());
        }
        if self.num_attention_heads % self.kv_heads() != 0 {
            return invalid(format!(
                "{} attention heads are not a multiple of {} key/value heads",
                self.num_attention_heads,
                self.kv_heads()
            ));
        }
        if let Some(q) = self.quantization
            && (!matches!(q.bits, 2 | 3 | 4 | 5 | 6 | 8) || !matches!(q.group_size, 32 | 64 | 128))
        {
            return invalid(format!(
                "unsupported quantization: {} bits, group size {}",
                q.bits, q.group_size
            ));
        }
        Ok(())
    }
}
