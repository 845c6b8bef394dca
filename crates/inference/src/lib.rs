//! The MLX inference engine of MLX Manager: loading models, tokenizing, generating. No HTTP here.
//!
//! Layout, by idea:
//! - [`Model`] is a loaded model directory: its [`model_config`], its network and its weights.
//!   `architectures` maps `model_type` to what sets each architecture apart.
//! - `nn`: the network itself — decoder, attention, layers, norms, rotary embeddings, the KV
//!   cache and the checkpoint reader. Private: callers only see [`Model`] and [`KvCache`].
//! - [`text`]: tokenizer (with each token's exact bytes), streaming detokenizer, stop strings,
//!   chat templates, and the reasoning and tool calls found in a model's output.
//! - [`generation`]: sampling (penalties, per-token log-probabilities), streaming generation
//!   with continuous batching of a model's requests and its prompt cache, the greedy reference
//!   generator, embeddings, and the [`generation::ModelWorker`] that serves a loaded model on
//!   its own thread.
//!   [`generation::pool`] is the model pool: several models loaded within a memory budget and a
//!   model count, admission with LRU/size-aware eviction (never pinned or busy models), one
//!   load per model however many ask, bounded per-model queues, leases, Ollama keep-alive,
//!   stop/restart, live limits and numbered events. Memory needs come from the caller in bytes
//!   ([`ModelFootprint`] reads them from a model's files; core's estimator, via serving, adds
//!   the KV cache and overhead); this crate does not depend on core.
//! - [`runtime`]: the linked MLX's version, the GPU backend and the BLAS library in use.
//! - [`memory_release`]: a hook the binary sets (mimalloc's collect) so memory freed while a
//!   model loads goes back to the system at once, not into the allocator's free pages.
//! - On Linux, `sgemm_interposer` routes one-row `cblas_sgemm` calls to `cblas_sgemv`, and
//!   products of a few rows (a batch's decoding step) to `few_row_product`, which reads the
//!   weights once, over every core (`parallel_split`); affine-quantized products run on the CPU
//!   through `quantized_product`, rotary embeddings through `rope_kernel` and one new token's
//!   f32 attention through `attention_kernel`, each one operation of MLX's graph by an MLX
//!   primitive of our own (`cpu_primitive`).

mod architectures;
#[cfg(target_os = "linux")]
mod attention_kernel;
#[cfg(target_os = "linux")]
mod cpu_primitive;
mod device;
mod error;
#[cfg(target_os = "linux")]
mod few_row_product;
pub mod footprint;
pub mod generation;
pub mod memory_release;
mod model;
pub mod model_config;
mod nn;
#[cfg(target_os = "linux")]
mod parallel_split;
mod process_memory;
#[cfg(target_os = "linux")]
mod quantized_product;
#[cfg(target_os = "linux")]
mod rope_kernel;
pub mod runtime;
#[cfg(target_os = "linux")]
mod sgemm_interposer;
#[cfg(test)]
mod test_values;
pub mod text;

pub use device::ComputeDevice;
pub use error::InferenceError;
pub use footprint::ModelFootprint;
pub use model::Model;
pub use nn::KvCache;
