//! The MLX inference engine of MLX Manager: loading models, tokenizing, generating. No HTTP here.

mod error;

pub use error::InferenceError;
