//! A loaded model: configuration, network and the facts the rest of the app needs.

use std::path::{Path, PathBuf};

use mlx_rs::Array;
use mlx_rs::ops::indexing::IndexOp;

use crate::InferenceError;
use crate::model_config::ModelConfig;
use crate::nn::{Decoder, KvCache, LayerCache, Weights};

/// Prompts are fed in chunks of this many tokens, bounding the memory of long prompts.
pub const PREFILL_CHUNK: usize = 2048;

pub struct Model {
    pub config: ModelConfig,
    pub dir: PathBuf,
    pub parameter_count: u64,
    pub bytes_on_disk: u64,
    /// Bytes the checkpoint's tensors take in memory once read.
    pub resident_bytes: u64,
    decoder: Decoder,
}

impl Model {
    /// Loads a model directory in the Hugging Face / mlx-lm layout.
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        Self::load_with_progress(dir, &mut |_, _| {})
    }

    /// [`Model::load`], reporting `(weight bytes read, total)` as each layer's weights are read.
    pub fn load_with_progress(
        dir: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Self, InferenceError> {
        #[cfg(target_os = "linux")]
        crate::sgemm_interposer::ensure_linked();
        let config = ModelConfig::load(dir)?;
        let traits = crate::architectures::traits_for(&config)?;
        let mut weights = Weights::load(dir, config.quantization, progress)?;
        let decoder = Decoder::load(&config, &mut weights, traits)?;
        weights.finish()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            parameter_count: weights.parameter_count,
            bytes_on_disk: weights.bytes_on_disk,
            resident_bytes: weights.resident_bytes,
            config,
            decoder,
        })
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.decoder.layer_count())
    }

    /// Bytes the KV cache grows by per token: keys and values of every layer in the dtype the
    /// cache stores, i.e. 2 × layers × kv heads × head dim × that dtype's size.
    ///
    /// The cache keeps the dtype the projections produce, which MLX's type promotion derives
    /// from the checkpoint's dtypes (f16 scales with f32 norm weights give f32 keys). Rather
    /// than repeat those rules, this builds one decoding step's graph on an empty cache and
    /// reads the cache's dtypes and shapes, which MLX knows before computing anything. The graph
    /// is never evaluated; only the small constants a first step would make anyway are kept.
    pub fn kv_cache_bytes_per_token(&self) -> Result<u64, InferenceError> {
        let mut cache = self.new_cache();
        self.decoder.forward(&token_array(&[0]), &mut cache)?;
        Ok(cache.layers.iter().map(LayerCache::bytes_per_token).sum())
    }

    /// Feeds tokens (the whole prompt, or one new token) and returns the logits `[1, vocab]`
    /// predicting the next token. Long inputs go in chunks.
    pub fn forward_last(&self, ids: &[u32], cache: &mut KvCache) -> Result<Array, InferenceError> {
        self.forward_last_chunked(ids, cache, PREFILL_CHUNK)
    }

    /// [`Model::forward_last`] with an explicit prefill chunk size.
    ///
    /// All tokens but the last only fill the cache: their logits are never evaluated, so the
    /// output projection (vocabulary × hidden) runs for one position, as in mlx-lm.
    pub fn forward_last_chunked(
        &self,
        ids: &[u32],
        cache: &mut KvCache,
        chunk_size: usize,
    ) -> Result<Array, InferenceError> {
        let Some((last, head)) = ids.split_last() else {
            return Err(InferenceError::Tokenizer("no tokens to process".into()));
        };
        for chunk in head.chunks(chunk_size.max(1)) {
            self.decoder.forward(&token_array(chunk), cache)?;
            cache.eval()?;
        }
        self.forward_token(&Array::from_slice(&[*last], &[1]), cache)
    }

    /// Feeds `ids` into the cache. Long inputs go in chunks; only the cache is evaluated, so
    /// the output projection never runs.
    pub fn prefill(&self, ids: &[u32], cache: &mut KvCache) -> Result<(), InferenceError> {
        for chunk in ids.chunks(PREFILL_CHUNK) {
            self.decoder.forward(&token_array(chunk), cache)?;
            cache.eval()?;
        }
        Ok(())
    }

    /// One decoding step for several sequences at once: `tokens[i]` (shape `[B]`, possibly not
    /// computed yet) extends `caches[i]`. Returns the logits `[B, vocab]`, row `i` for sequence
    /// `i`; each row equals what [`Model::forward_token`] gives that sequence alone, up to the
    /// rounding of a `B`-row product.
    pub fn forward_tokens(
        &self,
        tokens: &Array,
        caches: &mut [&mut KvCache],
    ) -> Result<Array, InferenceError> {
        let lens = vec![1; caches.len()];
        self.decoder.forward_rows(tokens, caches, &lens)
    }

    /// [`Model::forward_tokens`] where sequence `i` brings `lens[i]` consecutive tokens of
    /// `tokens` (a joining request's prompt chunk beside the others' next tokens). Returns the
    /// logits `[B, vocab]` after each sequence's last new token.
    pub fn forward_chunks(
        &self,
        tokens: &Array,
        caches: &mut [&mut KvCache],
        lens: &[i32],
    ) -> Result<Array, InferenceError> {
        self.decoder.forward_rows(tokens, caches, lens)
    }

    /// One decoding step on a token that may not be computed yet (shape `[1]`): the graph is
    /// built on the lazy array, so the next step is queued before the host reads this one.
    /// Returns the logits `[1, vocab]`.
    pub fn forward_token(
        &self,
        token: &Array,
        cache: &mut KvCache,
    ) -> Result<Array, InferenceError> {
        match token.shape() {
            [1] => self.decoder.forward(token, cache),
            _ => self.decoder.forward(&token.reshape(&[1])?, cache),
        }
    }
}

impl Model {
    /// The final hidden states of `ids` (one sequence, on a fresh cache), pooled: the last
    /// token's, or the mean over all tokens. Long inputs go in chunks. Returns `[hidden]` in
    /// float32.
    pub fn pooled_hidden(&self, ids: &[u32], mean: bool) -> Result<Array, InferenceError> {
        if ids.is_empty() {
            return Err(InferenceError::Tokenizer("no tokens to embed".into()));
        }
        let mut cache = self.new_cache();
        let mut pooled: Option<Array> = None;
        for chunk in ids.chunks(PREFILL_CHUNK) {
            let hidden = self
                .decoder
                .hidden(&token_array(chunk), &mut cache)?
                .as_dtype(mlx_rs::Dtype::Float32)?;
            let part = match mean {
                true => hidden.sum_axis(0, false)?,
                false => hidden.index(hidden.dim(0) - 1),
            };
            let part = match (mean, pooled.take()) {
                (true, Some(sum)) => sum.add(part)?,
                _ => part,
            };
            mlx_rs::transforms::eval([&part])?;
            pooled = Some(part);
        }
        let pooled = pooled.expect("at least one chunk");
        match mean {
            true => Ok(pooled.divide(Array::from_f32(ids.len() as f32))?),
            false => Ok(pooled),
        }
    }
}

fn token_array(ids: &[u32]) -> Array {
    Array::from_slice(ids, &[ids.len() as i32])
}
