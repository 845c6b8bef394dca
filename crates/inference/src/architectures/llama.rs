//! Llama (and Mistral, the same layout): optional attention biases on every projection.

use crate::model_config::ModelConfig;
use crate::nn::Traits;

pub fn traits(config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: config.attention_bias,
        o_bias: config.attention_bias,
        qk_norm: false,
    }
}
