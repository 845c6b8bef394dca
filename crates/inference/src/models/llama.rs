//! Llama (and Mistral, the same layout): optional attention biases on every projection.

use crate::config::ModelConfig;
use crate::decoder::Traits;

pub fn traits(config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: config.attention_bias,
        o_bias: config.attention_bias,
        qk_norm: false,
    }
}
