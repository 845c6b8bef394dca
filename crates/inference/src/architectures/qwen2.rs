//! Qwen2: biases on the q/k/v projections, none on the output projection.

use crate::model_config::ModelConfig;
use crate::nn::Traits;

pub fn traits(_config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: true,
        o_bias: false,
        qk_norm: false,
    }
}
