//! From text to token ids and back: the tokenizer, streaming detokenisation, stop strings, and
//! the chat templates that turn a conversation into prompt text.

pub mod chat_template;
mod detokenizer;
pub mod reasoning;
mod stop;
mod tokenizer;

pub use detokenizer::StreamingDetokenizer;
pub use stop::{StopCheck, StopStrings};
pub use tokenizer::Tokenizer;
