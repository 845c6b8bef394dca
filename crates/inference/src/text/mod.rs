//! From text to token ids and back: the tokenizer, streaming detokenisation, stop strings.

mod detokenizer;
mod stop;
mod tokenizer;

pub use detokenizer::StreamingDetokenizer;
pub use stop::{StopCheck, StopStrings};
pub use tokenizer::Tokenizer;
