//! What a model will take in memory, read from its files without loading it: the pool's
//! admission needs this before it decides what to evict.

use std::io::Read;
use std::path::Path;

use crate::InferenceError;
use crate::model_config::ModelConfig;
use crate::nn::shard_files;

/// A model directory's size facts, from `config.json` and the safetensors headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelFootprint {
    /// The weight files' sizes (what loading reads and keeps resident).
    pub weight_bytes: u64,
    /// What the KV cache grows by per token: keys and values for every layer and key/value
    /// head, in the dtype activations take (that of the embedding's output).
    pub kv_cache_bytes_per_token: u64,
    /// The model's own context (`max_position_embeddings`).
    pub context_length: Option<usize>,
}

impl ModelFootprint {
    /// Reads the footprint; cheap (the config and the first shard's header only).
    pub fn read(dir: &Path) -> Result<Self, InferenceError> {
        let config = ModelConfig::load(dir)?;
        let shards = shard_files(dir)?;
        let mut weight_bytes = 0;
        for shard in &shards {
            weight_bytes += std::fs::metadata(shard)
                .map_err(|e| InferenceError::file(shard, e))?
                .len();
        }
        let activation_bytes = activation_dtype_bytes(&shards)?;
        let per_layer = 2 * config.kv_heads() as u64 * config.head_dim() as u64 * activation_bytes;
        Ok(Self {
            weight_bytes,
            kv_cache_bytes_per_token: per_layer * config.num_hidden_layers as u64,
            context_length: config.max_position_embeddings,
        })
    }
}

/// Bytes per element of the activations (and so of the KV cache): the dtype of the token
/// embedding's output — its scales when it is quantized, else its weight. Unknown: 4 (f32), the
/// largest the engine uses, so the estimate errs on the safe side.
fn activation_dtype_bytes(shards: &[std::path::PathBuf]) -> Result<u64, InferenceError> {
    let mut weight = None;
    for shard in shards {
        let header = safetensors_header(shard)?;
        let Some(tensors) = header.as_object() else {
            continue;
        };
        for (name, tensor) in tensors {
            let dtype = tensor.get("dtype").and_then(|d| d.as_str());
            if name.ends_with("embed_tokens.scales") {
                return Ok(dtype.map_or(4, dtype_bytes));
            }
            if name.ends_with("embed_tokens.weight") {
                weight = dtype.map(dtype_bytes);
            }
        }
    }
    Ok(weight.unwrap_or(4))
}

fn dtype_bytes(dtype: &str) -> u64 {
    match dtype {
        "F16" | "BF16" | "I16" | "U16" => 2,
        "F64" | "I64" | "U64" => 8,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
        _ => 4,
    }
}

/// The JSON header of a safetensors file: 8 bytes of little-endian length, then the JSON.
fn safetensors_header(path: &Path) -> Result<serde_json::Value, InferenceError> {
    let mut file = std::fs::File::open(path).map_err(|e| InferenceError::file(path, e))?;
    let mut length = [0u8; 8];
    file.read_exact(&mut length)
        .map_err(|e| InferenceError::file(path, format!("not a safetensors file: {e}")))?;
    let length = u64::from_le_bytes(length);
    // Headers are small; a huge length means a corrupt file, not one to read into memory.
    if length > 100 * 1024 * 1024 {
        return Err(InferenceError::file(path, "safetensors header too large"));
    }
    let mut header = vec![0u8; length as usize];
    file.read_exact(&mut header)
        .map_err(|e| InferenceError::file(path, format!("truncated safetensors header: {e}")))?;
    serde_json::from_slice(&header)
        .map_err(|e| InferenceError::file(path, format!("invalid safetensors header: {e}")))
}
