//! Reading `*.safetensors`: the tensors of a checkpoint by name, with the quantization of each
//! inferred from its shapes.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mlx_rs::Array;

use crate::InferenceError;
use crate::model_config::QuantizationConfig;

/// The tensors of a checkpoint by name; layers take theirs out as they are built.
///
/// Tensors are read from disk when the layers that took them are read ([`Weights::read_taken`],
/// once per decoder layer), not all at once: the load then grows by one layer's transients at a
/// time (the parts that stacking copies and drops), and the allocator reuses the freed parts for
/// the next layer's instead of leaving a hole per layer in a heap full of weights.
pub struct Weights<'p> {
    /// Each tensor, still unread, with the index of its shard.
    tensors: HashMap<String, (Array, usize)>,
    shards: Vec<PathBuf>,
    quantization: Option<QuantizationConfig>,
    /// Taken since the last read.
    taken: Vec<(Array, usize)>,
    /// Resident bytes of the tensors read so far.
    read_bytes: u64,
    progress: &'p mut dyn FnMut(u64, u64),
    /// Parameters as the model was trained (quantized weights counted unpacked).
    pub parameter_count: u64,
    pub bytes_on_disk: u64,
    /// Bytes the loaded tensors take in memory.
    pub resident_bytes: u64,
}

impl<'p> Weights<'p> {
    /// Opens every shard: those listed in `model.safetensors.index.json`, else every
    /// `*.safetensors` file in the directory. Headers are parsed here (a file that is not
    /// safetensors fails now); tensor data is read as layers take it.
    ///
    /// `progress(bytes_read, bytes_total)` is called now with 0, after each read, and by
    /// [`Weights::finish`] with the total; bytes are the files' sizes, shared out by tensor size.
    pub fn load(
        dir: &Path,
        quantization: Option<QuantizationConfig>,
        progress: &'p mut dyn FnMut(u64, u64),
    ) -> Result<Self, InferenceError> {
        let shards = shard_files(dir)?;
        let bytes_on_disk = shards
            .iter()
            .map(|shard| std::fs::metadata(shard).map(|m| m.len()).unwrap_or(0))
            .sum();
        let mut tensors = HashMap::new();
        for (index, shard) in shards.iter().enumerate() {
            let loaded = Array::load_safetensors(shard)
                .map_err(|e| InferenceError::file(shard, format!("unreadable safetensors: {e}")))?;
            tensors.extend(loaded.into_iter().map(|(name, t)| (name, (t, index))));
        }
        let parameter_count = count_parameters(&tensors, quantization);
        let resident_bytes = tensors.values().map(|(t, _)| t.nbytes() as u64).sum();
        progress(0, bytes_on_disk);
        Ok(Self {
            tensors,
            shards,
            quantization,
            taken: Vec::new(),
            read_bytes: 0,
            progress,
            parameter_count,
            bytes_on_disk,
            resident_bytes,
        })
    }

    pub fn take(&mut self, name: &str) -> Result<Array, InferenceError> {
        self.take_optional(name)
            .ok_or_else(|| InferenceError::weight(name, "missing from the checkpoint"))
    }

    /// Reads the tensors taken since the last call from disk, a shard at a time so a read
    /// error names its file, and reports progress.
    pub fn read_taken(&mut self) -> Result<(), InferenceError> {
        let taken = std::mem::take(&mut self.taken);
        for (index, shard) in self.shards.iter().enumerate() {
            let arrays: Vec<&Array> = taken
                .iter()
                .filter(|(_, i)| *i == index)
                .map(|(array, _)| array)
                .collect();
            if arrays.is_empty() {
                continue;
            }
            mlx_rs::transforms::eval(arrays).map_err(|e| {
                InferenceError::file(shard, format!("cannot read the weights: {e}"))
            })?;
        }
        self.read_bytes += taken.iter().map(|(t, _)| t.nbytes() as u64).sum::<u64>();
        let share = self.bytes_on_disk as u128 * self.read_bytes as u128
            / self.resident_bytes.max(1) as u128;
        (self.progress)(
            share.min(self.bytes_on_disk as u128) as u64,
            self.bytes_on_disk,
        );
        Ok(())
    }

    /// Reads what is still taken and reports the load complete; tensors no layer took (e.g.
    /// precomputed rotary tables) are never read.
    pub fn finish(&mut self) -> Result<(), InferenceError> {
        self.read_taken()?;
        (self.progress)(self.bytes_on_disk, self.bytes_on_disk);
        Ok(())
    }

    pub fn take_optional(&mut self, name: &str) -> Option<Array> {
        let (tensor, shard) = self.tensors.remove(name)?;
        self.taken.push((tensor.clone(), shard));
        Some(tensor)
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
        let Some((scales, _)) = self.tensors.get(&format!("{prefix}.scales")) else {
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
        let packed_columns = weight.map_or(0, |(w, _)| w.dim(-1));
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
    tensors: &HashMap<String, (Array, usize)>,
    quantization: Option<QuantizationConfig>,
) -> u64 {
    tensors
        .iter()
        .filter(|(name, _)| !name.ends_with(".scales") && !name.ends_with(".biases"))
        .map(|(name, (tensor, _))| {
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
