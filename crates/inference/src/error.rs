use std::fmt::Display;
use std::path::Path;

use thiserror::Error;

/// Every way the inference layer can fail; the API crate maps these to responses.
#[derive(Debug, Error)]
pub enum InferenceError {
    /// A model file is missing, unreadable or malformed.
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },

    #[error("unsupported architecture {model_type:?} (supported: {supported})")]
    UnsupportedArchitecture {
        model_type: String,
        supported: String,
    },

    /// A tensor is missing or has the wrong shape or type for the configuration.
    #[error("weight {name}: {message}")]
    Weight { name: String, message: String },

    #[error("the prompt has {prompt} tokens but the model's context holds {context}")]
    PromptTooLong { prompt: usize, context: usize },

    #[error("tokenizer: {0}")]
    Tokenizer(String),

    #[error("MLX: {0}")]
    Mlx(String),

    /// A chat template failed to parse or to render (`raise_exception` in a template lands here).
    #[error("chat template: {0}")]
    ChatTemplate(String),

    /// A generation parameter (or an input of the sampler) is out of range.
    #[error("invalid {name}: {message}")]
    InvalidParameter { name: &'static str, message: String },
}

impl InferenceError {
    pub(crate) fn file(path: &Path, message: impl Display) -> Self {
        Self::ModelFile {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }

    pub(crate) fn weight(name: &str, message: impl Display) -> Self {
        Self::Weight {
            name: name.to_string(),
            message: message.to_string(),
        }
    }
}

impl From<mlx_rs::error::Exception> for InferenceError {
    fn from(error: mlx_rs::error::Exception) -> Self {
        Self::Mlx(error.to_string())
    }
}
