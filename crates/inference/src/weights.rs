//! Reading `*.safetensors` and building the two layer kinds every architecture is made of:
//! linear projections and token embeddings, each dense or MLX-affine-quantized.
//!
//! The arithmetic mirrors mlx-lm's `nn.Linear`, `nn.QuantizedLinear`, `nn.Embedding` and
//! `nn.QuantizedEmbedding` op for op, so results match the reference bit for bit.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use mlx_rs::Array;
use mlx_rs::ops::{addmm, dequantize, quantized_matmul};

use crate::InferenceError;
use crate::config::QuantizationConfig;

/// The tensors of a checkpoint by name; layers take theirs out as they are built.
pub struct Weights {
    tensors: HashMap<String, Array>,
    quantization: Option<QuantizationConfig>,
    /// Parameters as the model was trained (quantized weights counted unpacked).
    pub parameter_count: u64,
    pub bytes_on_disk: u64,
}

impl Weights {
    /// Loads every shard: those listed in `model.safetensors.index.json`, else every
    /// `*.safetensors` file in the directory.
    pub fn load(
        dir: &Path,
        quantization: Option<QuantizationConfig>,
    ) -> Result<Self, InferenceError> {
        let mut tensors = HashMap::new();
        let mut bytes_on_disk = 0;
        for shard in shard_files(dir)? {
            bytes_on_disk += std::fs::metadata(&shard).map(|m| m.len()).unwrap_or(0);
            let loaded = Array::load_safetensors(&shard).map_err(|e| {
                InferenceError::file(&shard, format!("unreadable safetensors: {e}"))
            })?;
            tensors.extend(loaded);
        }
        // Read everything now, as mlx-lm does: load errors surface here, and the first request
        // does not pay for disk reads.
        mlx_rs::transforms::eval(tensors.values())
            .map_err(|e| InferenceError::file(dir, format!("cannot read the weights: {e}")))?;
        let parameter_count = count_parameters(&tensors, quantization);
        Ok(Self {
            tensors,
            quantization,
            parameter_count,
            bytes_on_disk,
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
    fn quantized(
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

fn shard_files(dir: &Path) -> Result<Vec<PathBuf>, InferenceError> {
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

/// An MLX affine-quantized matrix: packed weights with per-group scales and biases.
pub struct QuantizedMatrix {
    weight: Array,
    scales: Array,
    biases: Option<Array>,
    quant: QuantizationConfig,
}

impl QuantizedMatrix {
    fn take(
        weights: &mut Weights,
        prefix: &str,
        weight: Array,
        quant: QuantizationConfig,
    ) -> Result<Self, InferenceError> {
        Ok(Self {
            weight,
            scales: weights.take(&format!("{prefix}.scales"))?,
            biases: weights.take_optional(&format!("{prefix}.biases")),
            quant,
        })
    }

    /// `x · Wᵀ` without unpacking W.
    fn matmul_transposed(&self, x: &Array) -> Result<Array, InferenceError> {
        let q = self.quant;
        Ok(quantized_matmul(
            x,
            &self.weight,
            &self.scales,
            self.biases.as_ref(),
            true,
            q.group_size,
            q.bits,
        )?)
    }

    /// The unpacked rows for `ids` (an embedding lookup).
    fn rows(&self, ids: &Array) -> Result<Array, InferenceError> {
        let rows = self.weight.take_axis(ids, 0)?;
        let scales = self.scales.take_axis(ids, 0)?;
        let biases = self
            .biases
            .as_ref()
            .map(|b| b.take_axis(ids, 0))
            .transpose()?;
        Ok(dequantize(
            &rows,
            &scales,
            biases.as_ref(),
            self.quant.group_size,
            self.quant.bits,
        )?)
    }
}

/// A projection `x · Wᵀ (+ b)`.
pub enum Linear {
    Dense {
        weight: Array,
        bias: Option<Array>,
    },
    Quantized {
        matrix: QuantizedMatrix,
        bias: Option<Array>,
    },
}

impl Linear {
    pub fn load(
        weights: &mut Weights,
        prefix: &str,
        with_bias: bool,
        in_features: i32,
    ) -> Result<Self, InferenceError> {
        let bias = match with_bias {
            true => Some(weights.take(&format!("{prefix}.bias"))?),
            false => None,
        };
        let quantized = weights.quantized(prefix, in_features)?;
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match quantized {
            None => Self::Dense { weight, bias },
            Some(quant) => Self::Quantized {
                matrix: QuantizedMatrix::take(weights, prefix, weight, quant)?,
                bias,
            },
        })
    }

    pub fn forward(&self, x: &Array) -> Result<Array, InferenceError> {
        Ok(match self {
            Self::Dense { weight, bias: None } => x.matmul(weight.t())?,
            Self::Dense {
                weight,
                bias: Some(bias),
            } => addmm(bias, x, weight.t(), None, None)?,
            Self::Quantized { matrix, bias: None } => matrix.matmul_transposed(x)?,
            Self::Quantized {
                matrix,
                bias: Some(bias),
            } => matrix.matmul_transposed(x)?.add(bias)?,
        })
    }

    /// Output features (rows of the weight).
    pub fn out_features(&self) -> i32 {
        match self {
            Self::Dense { weight, .. }
            | Self::Quantized {
                matrix: QuantizedMatrix { weight, .. },
                ..
            } => weight.dim(0),
        }
    }
}

/// A token embedding table, which tied models also use as their output projection.
pub enum Embedding {
    Dense { weight: Array },
    Quantized(QuantizedMatrix),
}

impl Embedding {
    pub fn load(weights: &mut Weights, prefix: &str, dims: i32) -> Result<Self, InferenceError> {
        let quantized = weights.quantized(prefix, dims)?;
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match quantized {
            None => Self::Dense { weight },
            Some(quant) => Self::Quantized(QuantizedMatrix::take(weights, prefix, weight, quant)?),
        })
    }

    /// Rows for token ids of any shape: `[…] -> […, hidden]`.
    pub fn forward(&self, ids: &Array) -> Result<Array, InferenceError> {
        match self {
            Self::Dense { weight } => Ok(weight.take_axis(ids, 0)?),
            Self::Quantized(matrix) => matrix.rows(ids),
        }
    }

    /// The tied output projection: `x · Eᵀ`.
    pub fn as_linear(&self, x: &Array) -> Result<Array, InferenceError> {
        match self {
            Self::Dense { weight } => Ok(x.matmul(weight.t())?),
            Self::Quantized(matrix) => matrix.matmul_transposed(x),
        }
    }

    pub fn rows(&self) -> i32 {
        match self {
            Self::Dense { weight } | Self::Quantized(QuantizedMatrix { weight, .. }) => {
                weight.dim(0)
            }
        }
    }
}
