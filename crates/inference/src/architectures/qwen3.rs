//! Qwen3: per-head RMS norms on queries and keys; optional attention biases.

use crate::model_config::ModelConfig;
use crate::nn::Traits;

pub fn traits(config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: config.attention_bias,
        o_bias: config.attention_bias,
        qk_norm: true,
    }
}
