//! Qwen2: biases on the q/k/v projections, none on the output projection.

use crate::config::ModelConfig;
use crate::decoder::Traits;

pub fn traits(_config: &ModelConfig) -> Traits {
    Traits {
        qkv_bias: true,
        o_bias: false,
        qk_norm: false,
    }
}
