use std::path::Path;

use super::token_bytes;
use crate::InferenceError;

/// A model's `tokenizer.json`, through the `tokenizers` crate (no network features).
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// Whether pieces are GPT-2 byte-level strings (see [`Tokenizer::token_bytes`]).
    byte_level: bool,
}

impl Tokenizer {
    pub fn load(model_dir: &Path) -> Result<Self, InferenceError> {
        let path = model_dir.join("tokenizer.json");
        if !path.exists() {
            return Err(InferenceError::file(&path, "missing"));
        }
        let inner = tokenizers::Tokenizer::from_file(&path)
            .map_err(|e| InferenceError::file(&path, format!("not a tokenizer: {e}")))?;
        // The decoder may be nested in a sequence; its serialised form names every part.
        let byte_level = inner
            .get_decoder()
            .and_then(|decoder| serde_json::to_string(decoder).ok())
            .is_some_and(|json| json.contains(r#""type":"ByteLevel""#));
        Ok(Self { inner, byte_level })
    }

    /// Token ids for `text`; `add_special_tokens` applies the tokenizer's post-processor
    /// (e.g. a leading BOS), as mlx-lm does for raw prompts.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>, InferenceError> {
        self.inner
            .encode(text, add_special_tokens)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))
    }

    /// Text for `ids`, special tokens included (callers stop on them before decoding).
    pub fn decode(&self, ids: &[u32]) -> Result<String, InferenceError> {
        self.inner
            .decode(ids, false)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))
    }

    /// The bytes token `id` stands for (part of a character, for some), as logprobs report.
    pub fn token_bytes(&self, id: u32) -> Vec<u8> {
        let Some(piece) = self.inner.id_to_token(id) else {
            return Vec::new();
        };
        let special = self.inner.get_added_vocabulary().is_special_token(&piece);
        token_bytes::piece_bytes(&piece, self.byte_level, special)
    }

    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}
