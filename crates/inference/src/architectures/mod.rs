//! The architecture registry: `model_type` in config.json → how to build the network.
//! Adding an architecture is one module and one line here.

mod llama;
mod qwen2;
mod qwen3;

use crate::InferenceError;
use crate::model_config::ModelConfig;
use crate::nn::Traits;

/// (model_type, traits for that config)
type Entry = (&'static str, fn(&ModelConfig) -> Traits);

const REGISTRY: &[Entry] = &[
    ("llama", llama::traits),
    ("mistral", llama::traits),
    ("qwen2", qwen2::traits),
    ("qwen3", qwen3::traits),
];

pub fn traits_for(config: &ModelConfig) -> Result<Traits, InferenceError> {
    REGISTRY
        .iter()
        .find(|(model_type, _)| *model_type == config.model_type)
        .map(|(_, traits)| traits(config))
        .ok_or_else(|| InferenceError::UnsupportedArchitecture {
            model_type: config.model_type.clone(),
            supported: REGISTRY
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
