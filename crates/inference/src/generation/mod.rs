//! Turning a prompt into tokens (and inputs into embeddings): sampling the next token, one
//! request's generation (`sequence`) and continuous batching of a model's requests (`batch`),
//! the prompt cache that lets a request start from a prefix computed before, the greedy
//! reference generator the parity tests compare with mlx-lm, and the worker thread that serves
//! one loaded model.

mod batch;
mod bundle;
mod embedding;
mod greedy;
mod logprobs;
mod output;
pub mod pool;
mod prompt;
pub mod prompt_cache;
pub mod sampling;
mod sequence;
mod stream;
mod worker;

pub use embedding::{EmbeddingInput, EmbeddingRequest, Embeddings, Pooling};
pub use greedy::greedy;
pub use logprobs::{Alternative, MAX_TOP_LOGPROBS, TokenLogprob};
pub use prompt::count_prompt_tokens;
pub use stream::{FinishReason, GenerationEvent, GenerationRequest, GenerationStats, Prompt};
pub use worker::{
    EventReceiver, LoadProgress, MeasuredMemory, MemorySource, ModelFacts, ModelWorker,
};
