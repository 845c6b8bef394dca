use thiserror::Error;

/// Every way the inference layer can fail; the API crate maps these to responses.
#[derive(Debug, Error)]
pub enum InferenceError {
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },
}
