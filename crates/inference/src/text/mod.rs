//! From text to token ids and back: the tokenizer, streaming detokenisation, stop strings, the
//! chat templates that turn a conversation into prompt text, and the reasoning and tool calls
//! found in a model's output.

pub mod chat_template;
mod detokenizer;
pub mod reasoning;
mod stop;
mod token_bytes;
mod tokenizer;
pub mod tool_calls;

pub use detokenizer::StreamingDetokenizer;
pub use stop::{StopCheck, StopStrings};
pub use tokenizer::Tokenizer;
