//! Reading `*.safetensors`: the tensors of a checkpoint by name, with the quantization of each
//! inferred from its shapes.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mlx_rs::Array;

use crate::InferenceError;
use crate::model_config::QuantizationConfig;

/// The tensors of a checkpoint by name; layers take theirs out as they are built.
pub struct Weights {
    tensors: HashMap<String, Array>,
    quantization: Option<QuantizationConfig>,
    /// Parameters as the model was trained (quantized weights counted unpacked).
    pub parameter_count: u64,
    pub bytes_on_disk: u64,
    /// Bytes the loaded tensors take in memory.
    pub resident_bytes: u64,
}

impl Weights {
    /// Loads every shard: those listed in `model.safetensors.index.json`, else every
    /// `*.safetensors` file in the directory.
    ///
    /// `progress(bytes_read, bytes_total)` is called before the first shard and after each one
    /// (bytes counted by file size, so a one-file checkpoint reports 0 then all).
    pub fn load(
        dir: &Path,
        quantization: Option<QuantizationConfig>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Self, InferenceError> {
        let shards: Vec<(PathBuf, u64)> = shard_files(dir)?
            .into_iter()
            .map(|shard| {
                let size = std::fs::metadata(&shard).map(|m| m.len()).unwrap_or(0);
                (shard, size)
            })
            .collect();
        let bytes_on_disk = shards.iter().map(|(_, size)| size).sum();
        let mut tensors = HashMap::new();
        let mut read = 0;
        progress(0, bytes_on_disk);
        for (shard, size) in shards {
            let loaded = Array::load_safetensors(&shard).map_err(|e| {
                InferenceError::file(&shard, format!("unreadable safetensors: {e}"))
            })?;
            // Read each shard now, as mlx-lm reads everything at load: load errors surface
            // here, the first request does not pay for disk reads, and progress is by file.
            mlx_rs::transforms::eval(loaded.values()).map_err(|e| {
                InferenceError::file(&shard, format!("cannot read the weights: {e}"))
            })?;
            tensors.extend(loaded);
            read += size;
            progress(read, bytes_on_disk);
        }
        let parameter_count = count_parameters(&tensors, quantization);
        let resident_bytes = tensors.values().map(|t| t.nbytes() as u64).sum();
        Ok(Self {
            tensors,
            quantization,
            parameter_count,
            bytes_on_disk,
            resident_bytes,
        })
    }

    pub fn take(&mut self, name: &str) -> Result<Array, InferenceError> {
        self.tensors
            .remove(name)
            .ok_or_else(|| InferenceError::weight(name, "missing from the checkpoint"))
    }

    pub fn take_optional(&mut self, name: &str) -> Option<Array> {
        self.tensors.remove(name)
    }

    /// A tensor that must have exactly this shape.
    pub fn take_shaped(&mut self, name: &str, shape: &[i32]) -> Result<Array, InferenceError> {
        let tensor = self.take(name)?;
        if tensor.shape() != shape {
            return Err(InferenceError::weight(
                name,
                format!(
                    "has shape {:?}, the config implies {shape:?}",
                    tensor.shape()
                ),
            ));
        }
        Ok(tensor)
    }

    /// Quantization parameters when `prefix` was stored quantized (it has `scales`), inferred
    /// from the tensor shapes as mlx-lm does, so mixed-precision checkpoints (e.g. an 8-bit
    /// embedding in a 4-bit model) load: group = in_dims / scale columns, bits = packed
    /// columns × 32 / in_dims.
    pub(crate) fn quantized(
        &self,
        prefix: &str,
        in_dims: i32,
    ) -> Result<Option<QuantizationConfig>, InferenceError> {
        let Some(scales) = self.tensors.get(&format!("{prefix}.scales")) else {
            return Ok(None);
        };
        if self.quantization.is_none() {
            return Err(InferenceError::weight(
                prefix,
                "is quantized but config.json has no `quantization`",
            ));
        }
        if scales.dtype() == mlx_rs::Dtype::Uint8 {
            return Err(InferenceError::weight(
                prefix,
                "uses a microscaling quantization mode (mxfp4/nvfp4), not supported",
            ));
        }
        let weight = self.tensors.get(&format!("{prefix}.weight"));
        let packed_columns = weight.map_or(0, |w| w.dim(-1));
        let scale_columns = scales.dim(-1);
        let quant = QuantizationConfig {
            group_size: if scale_columns > 0 {
                in_dims / scale_columns
            } else {
                0
            },
            bits: if in_dims > 0 {
                packed_columns * 32 / in_dims
            } else {
                0
            },
        };
        let consistent = quant.group_size * scale_columns == in_dims
            && quant.bits * in_dims == packed_columns * 32;
        if !consistent
            || !matches!(quant.bits, 2 | 3 | 4 | 5 | 6 | 8)
            || !matches!(quant.group_size, 32 | 64 | 128)
        {
            return Err(InferenceError::weight(
                prefix,
                format!(
                    "packed shape {packed_columns} with {scale_columns} scale columns does not fit {in_dims} inputs"
                ),
            ));
        }
        Ok(Some(quant))
    }
}

/// Parameters as trained: a packed quantized weight holds 32/bits values per uint32 element;
/// quantization scales and biases are not parameters.
fn count_parameters(
    tensors: &HashMap<String, Array>,
    quantization: Option<QuantizationConfig>,
) -> u64 {
    tensors
        .iter()
        .filter(|(name, _)| !name.ends_with(".scales") && !name.ends_with(".biases"))
        .map(|(name, tensor)| {
            let elements = tensor.size() as u64;
            let packed = name
                .strip_suffix(".weight")
                .is_some_and(|prefix| tensors.contains_key(&format!("{prefix}.scales")));
            match (packed, quantization) {
                (true, Some(q)) => elements * 32 / q.bits as u64,
                _ => elements,
            }
        })
        .sum()
}

pub(crate) fn shard_files(dir: &Path) -> Result<Vec<PathBuf>, InferenceError> {
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        let text = std::fs::read_to_string(&index).map_err(|e| InferenceError::file(&index, e))?;
        let parsed: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| InferenceError::file(&index, format!("invalid JSON: {e}")))?;
        let files: BTreeSet<&str> = parsed["weight_map"]
            .as_object()
            .ok_or_else(|| InferenceError::file(&index, "no weight_map"))?
            .values()
            .filter_map(|v| v.as_str())
            .collect();
        return files
            .into_iter()
            .map(|file| {
                let path = dir.join(file);
                path.exists()
                    .then_some(path.clone())
                    .ok_or_else(|| InferenceError::file(&path, "listed in the index but missing"))
            })
            .collect();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InferenceError::file(dir, e))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(InferenceError::file(dir, "no *.safetensors weights"));
    }
    Ok(files)
}
