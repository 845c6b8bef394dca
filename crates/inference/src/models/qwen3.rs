//! Qwen3: per-head RMS norms on queries and keys; optional attention biases.

use crate::config::ModelConfig;
use crate::decoder::Traits;

pub fn traits(config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: config.attention_bias,
        o_bias: config.attention_bias,
        qk_norm: true,
    }
}
