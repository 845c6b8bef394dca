use std::fmt::Display;
use std::path::Path;

use thiserror::Error;

/// Every way the inference layer can fail; the API crate maps these to responses.
#[derive(Debug, Clone, Error)]
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

    /// The model pool cannot admit a model: its need does not fit beside what holds memory.
    #[error(
        "model {model} needs {need_bytes} bytes but only {free_bytes} of the {limit_bytes}-byte \
         limit are free; held by: {}",
        describe_holders(held_by)
    )]
    InsufficientMemory {
        model: String,
        need_bytes: u64,
        free_bytes: u64,
        limit_bytes: u64,
        held_by: Vec<crate::generation::pool::HeldMemory>,
    },

    /// The pool holds its maximum number of models and none of them may be evicted.
    #[error("model {model} cannot load: {max_models} models are loaded and none is idle ({})", held_by.join(", "))]
    TooManyModels {
        model: String,
        max_models: usize,
        held_by: Vec<String>,
    },

    /// The model's queue is full; try again later.
    #[error("model {model} is busy: {queued} requests are already waiting")]
    Overloaded { model: String, queued: usize },

    /// The request waited for its turn longer than the queue allows.
    #[error("model {model} did not get to this request within {waited_secs} s")]
    QueueTimeout { model: String, waited_secs: f64 },

    /// A forced stop (or shutdown) ended the request.
    #[error("model {model} was stopped")]
    Stopped { model: String },

    /// The model is not loaded (nothing to stop or restart).
    #[error("model {model} is not loaded")]
    NotLoaded { model: String },

    /// The pool is shutting down.
    #[error("the model pool is shutting down")]
    PoolClosed,
}

fn describe_holders(held: &[crate::generation::pool::HeldMemory]) -> String {
    if held.is_empty() {
        return "nothing".into();
    }
    held.iter()
        .map(|h| match h.hold {
            Some(reason) => format!("{} ({} bytes, {reason:?})", h.model, h.bytes),
            None => format!("{} ({} bytes, idle)", h.model, h.bytes),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl InferenceError {
    /// Whether MLX failed to allocate memory (the pool then frees idle models and retries once).
    pub fn is_out_of_memory(&self) -> bool {
        match self {
            Self::Mlx(message) | Self::ModelFile { message, .. } | Self::Weight { message, .. } => {
                let message = message.to_ascii_lowercase();
                [
                    "unable to allocate",
                    "out of memory",
                    "bad_alloc",
                    "failed to allocate",
                ]
                .iter()
                .any(|needle| message.contains(needle))
            }
            _ => false,
        }
    }

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
