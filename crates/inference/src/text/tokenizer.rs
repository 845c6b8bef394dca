use std::path::Path;

use crate::InferenceError;

/// A model's `tokenizer.json`, through the `tokenizers` crate (no network features).
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
}

impl Tokenizer {
    pub fn load(model_dir: &Path) -> Result<Self, InferenceError> {
        let path = model_dir.join("tokenizer.json");
        if !path.exists() {
            return Err(InferenceError::file(&path, "missing"));
        }
        let inner = tokenizers::Tokenizer::from_file(&path)
            .map_err(|e| InferenceError::file(&path, format!("not a tokenizer: {e}")))?;
        Ok(Self { inner })
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

    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
}
