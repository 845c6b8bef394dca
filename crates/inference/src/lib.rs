//! The MLX inference engine of MLX Manager: loading models, tokenizing, generating. No HTTP here.

pub mod config;
mod decoder;
mod device;
mod error;
pub mod generate;
mod kv_cache;
mod model;
mod models;
mod rope;
mod weights;

pub use device::ComputeDevice;
pub use error::InferenceError;
pub use kv_cache::KvCache;
pub use model::Model;
