//! Turning a growing list of token ids into text deltas. A character may span several tokens
//! (byte-level BPE splits UTF-8 sequences), so a delta is only released once it decodes to
//! complete characters: the stream never carries a broken or replacement character.

use super::Tokenizer;
use crate::InferenceError;

/// Decoding restarts from a window of recent tokens (not the whole text), so each step
/// costs the same however long the output gets.
pub struct StreamingDetokenizer {
    ids: Vec<u32>,
    /// Start of the window whose decoded text has been emitted up to `read_offset`.
    prefix_offset: usize,
    read_offset: usize,
}

impl Default for StreamingDetokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamingDetokenizer {
    pub fn new() -> Self {
        Self {
            ids: Vec::new(),
            prefix_offset: 0,
            read_offset: 0,
        }
    }

    /// Adds a token; returns the text it completes (possibly empty).
    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> Result<String, InferenceError> {
        self.ids.push(id);
        let prefix = tokenizer.decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let full = tokenizer.decode(&self.ids[self.prefix_offset..])?;
        if full.len() <= prefix.len() || full.ends_with('\u{FFFD}') || !full.starts_with(&prefix) {
            return Ok(String::new());
        }
        let delta = full[prefix.len()..].to_string();
        self.prefix_offset = self.read_offset;
        self.read_offset = self.ids.len();
        Ok(delta)
    }

    /// Whatever is still held back at the end (an incomplete character decodes as U+FFFD here:
    /// the model really produced invalid UTF-8).
    pub fn finish(&mut self, tokenizer: &Tokenizer) -> Result<String, InferenceError> {
        let prefix = tokenizer.decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let full = tokenizer.decode(&self.ids[self.prefix_offset..])?;
        self.prefix_offset = self.ids.len();
        self.read_offset = self.ids.len();
        Ok(full
            .strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or_default())
    }
}
