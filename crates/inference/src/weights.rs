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
}

impl Weights {
    /// Loads every shard: those listed in `model.safetensors.index.json`, else every
    /// `*.safetensors` file in the directory.
    pub fn load(
        dir: &Path,
        quantization: Option<QuantizationConfig>,
    ) -> Result<Self, InferenceError> {
        let mut tensors = HashMap::new();
        for shard in shard_files(dir)? {
            let loaded = Array::load_safetensors(&shard).map_err(|e| {
                InferenceError::file(&shard, format!("unreadable safetensors: {e}"))
            })?;
            tensors.extend(loaded);
        }
        Ok(Self {
            tensors,
            quantization,
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

    fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
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

    /// Quantization parameters when `prefix` was stored quantized (it has `scales`).
    fn quantized(&self, prefix: &str) -> Result<Option<QuantizationConfig>, InferenceError> {
        if !self.has(&format!("{prefix}.scales")) {
            return Ok(None);
        }
        self.quantization.map(Some).ok_or_else(|| {
            InferenceError::weight(prefix, "is quantized but config.json has no `quantization`")
        })
    }
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

/// A projection `x · Wᵀ (+ b)`.
pub enum Linear {
    Dense {
        weight: Array,
        bias: Option<Array>,
    },
    Quantized {
        weight: Array,
        scales: Array,
        biases: Option<Array>,
        bias: Option<Array>,
        quant: QuantizationConfig,
    },
}

impl Linear {
    pub fn load(
        weights: &mut Weights,
        prefix: &str,
        with_bias: bool,
    ) -> Result<Self, InferenceError> {
        let bias = match with_bias {
            true => Some(weights.take(&format!("{prefix}.bias"))?),
            false => None,
        };
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match weights.quantized(prefix)? {
            None => Self::Dense { weight, bias },
            Some(quant) => Self::Quantized {
                weight,
                scales: weights.take(&format!("{prefix}.scales"))?,
                biases: weights.take_optional(&format!("{prefix}.biases")),
                bias,
                quant,
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
            Self::Quantized {
                weight,
                scales,
                biases,
                bias,
                quant,
            } => {
                let y = quantized_matmul(
                    x,
                    weight,
                    scales,
                    biases.as_ref(),
                    true,
                    quant.group_size,
                    quant.bits,
                )?;
                match bias {
                    Some(bias) => y.add(bias)?,
                    None => y,
                }
            }
        })
    }

    /// Output features (rows of the weight).
    pub fn out_features(&self) -> i32 {
        match self {
            Self::Dense { weight, .. } | Self::Quantized { weight, .. } => weight.dim(0),
        }
    }
}

/// A token embedding table, which tied models also use as their output projection.
pub enum Embedding {
    Dense {
        weight: Array,
    },
    Quantized {
        weight: Array,
        scales: Array,
        biases: Option<Array>,
        quant: QuantizationConfig,
    },
}

impl Embedding {
    pub fn load(weights: &mut Weights, prefix: &str) -> Result<Self, InferenceError> {
        let weight = weights.take(&format!("{prefix}.weight"))?;
        Ok(match weights.quantized(prefix)? {
            None => Self::Dense { weight },
            Some(quant) => Self::Quantized {
                weight,
                scales: weights.take(&format!("{prefix}.scales"))?,
                biases: weights.take_optional(&format!("{prefix}.biases")),
                quant,
            },
        })
    }

    /// Rows for token ids of any shape: `[…] -> […, hidden]`.
    pub fn forward(&self, ids: &Array) -> Result<Array, InferenceError> {
        Ok(match self {
            Self::Dense { weight } => weight.take_axis(ids, 0)?,
            Self::Quantized {
                weight,
                scales,
                biases,
                quant,
            } => {
                let rows = weight.take_axis(ids, 0)?;
                let row_scales = scales.take_axis(ids, 0)?;
                let row_biases = biases.as_ref().map(|b| b.take_axis(ids, 0)).transpose()?;
                dequantize(
                    &rows,
                    &row_scales,
                    row_biases.as_ref(),
                    quant.group_size,
                    quant.bits,
                )?
            }
        })
    }

    /// The tied output projection: `x · Eᵀ`.
    pub fn as_linear(&self, x: &Array) -> Result<Array, InferenceError> {
        Ok(match self {
            Self::Dense { weight } => x.matmul(weight.t())?,
            Self::Quantized {
                weight,
                scales,
                biases,
                quant,
            } => quantized_matmul(
                x,
                weight,
                scales,
                biases.as_ref(),
                true,
                quant.group_size,
                quant.bits,
            )?,
        })
    }

    pub fn rows(&self) -> i32 {
        match self {
            Self::Dense { weight } | Self::Quantized { weight, .. } => weight.dim(0),
        }
    }
}
