//! The crate's integration tests, in one binary so the crate links one test executable instead
//! of one per file. Each module is one concern; the parity modules run Python (mlx-lm,
//! transformers) from the project's `.venv` on the models in `.fixtures/` (both made by ./setup).

mod batched_decoding;
mod batching;
mod chat_template_parity;
mod end_to_end;
mod mlx_lm_parity;
mod prompt_cache;
mod reasoning;
mod sampling_reference;
mod support;
mod tool_calls;
