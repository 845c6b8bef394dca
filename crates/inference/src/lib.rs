//! The MLX inference engine of MLX Manager: loading models, tokenizing, generating. No HTTP here.

mod attention;
#[cfg(target_os = "linux")]
mod blas_rows;
pub mod chat_template;
pub mod config;
mod decoder;
mod device;
pub mod engine;
mod error;
pub mod generate;
pub mod generation;
mod kv_cache;
mod layers;
mod model;
mod models;
mod norm;
mod rope;
pub mod sampling;
#[cfg(test)]
mod test_values;
pub mod text;
mod weights;

pub use device::ComputeDevice;
pub use error::InferenceError;
pub use kv_cache::KvCache;
pub use model::Model;
