//! The decoder-only transformer that llama, mistral, qwen2 and qwen3 share; each architecture
//! module states its differences as [`Traits`]. The op order follows mlx-lm's `llama.py` /
//! `qwen3.py` so outputs match the reference exactly.

use mlx_rs::Array;
use mlx_rs::fast::{ScaledDotProductAttentionMask, scaled_dot_product_attention};
use mlx_rs::transforms::eval;

mod rows;

use super::attention::DecodeAttention;
use super::kv_cache::{KvCache, LayerCache};
use super::layers::{Embedding, FusedLinear, Linear, Prologue, swiglu};
use super::norm::RmsNorm;
use super::rope::{Rope, RopeAngles};
use super::weights::Weights;
use crate::model_config::ModelConfig;
use crate::{ComputeDevice, InferenceError};

/// What sets one architecture apart from the plain llama layout.
#[derive(Debug, Clone, Copy, Default)]
pub struct Traits {
    /// Biases on the q/k/v projections (qwen2).
    pub qkv_bias: bool,
    /// Bias on the output projection too (llama's `attention_bias`).
    pub o_bias: bool,
    /// RMS-normalised queries and keys per head (qwen3).
    pub qk_norm: bool,
}

struct Attention {
    /// q, k and v projections, in that order.
    qkv_proj: FusedLinear,
    o_proj: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    heads: i32,
    kv_heads: i32,
    scale: f32,
    /// One new token's attention on the CPU, where it needs fewer operations than the
    /// reference graph; `None` elsewhere.
    decode: Option<DecodeAttention>,
}

impl Attention {
    /// Attention over `norm(x)`.
    fn forward(
        &self,
        x: &Array,
        norm: &RmsNorm,
        cache: &mut LayerCache,
        rope: &Rope,
        angles: Option<&RopeAngles>,
    ) -> Result<Array, InferenceError> {
        let [queries, keys, values] = self.project(x, norm)?;
        let output = self.attend(queries, keys, values, cache, rope, angles)?;
        self.o_proj.forward(&output)
    }

    /// Queries, keys and values `[L, heads · dim]` of the rows of `norm(x)`.
    fn project(&self, x: &Array, norm: &RmsNorm) -> Result<[Array; 3], InferenceError> {
        self.qkv_proj
            .forward_after(x, &Prologue::Norm(norm))?
            .try_into()
            .map_err(|_| InferenceError::Mlx("q/k/v projection gave a wrong output count".into()))
    }

    /// Attention of one sequence's `L` new positions (rows) over its cache, which they extend;
    /// returns `[L, heads · dim]`, the layout the output projection takes.
    fn attend(
        &self,
        queries: Array,
        keys: Array,
        values: Array,
        cache: &mut LayerCache,
        rope: &Rope,
        angles: Option<&RopeAngles>,
    ) -> Result<Array, InferenceError> {
        // Activations are `[L, hidden]` (one sequence): products on 2-D inputs need no reshaping.
        let l = queries.dim(0);
        let split_heads =
            |y: Array, heads: i32, norm: Option<&RmsNorm>| -> Result<Array, InferenceError> {
                // `[1, heads, L, dim]`. For one token that is a reshape alone: the transpose
                // would move nothing.
                let y = match l {
                    1 => y.reshape(&[1, heads, 1, -1])?,
                    _ => y.reshape(&[1, l, heads, -1])?,
                };
                let y = match norm {
                    Some(norm) => norm.forward(&y)?,
                    None => y,
                };
                Ok(match l {
                    1 => y,
                    _ => y.transpose_axes(&[0, 2, 1, 3])?,
                })
            };
        let queries = split_heads(queries, self.heads, self.q_norm.as_ref())?;
        let keys = split_heads(keys, self.kv_heads, self.k_norm.as_ref())?;
        let values = split_heads(values, self.kv_heads, None)?;

        let offset = cache.offset();
        let queries = rope.rotate(&queries, offset, angles)?;
        let keys = rope.rotate(&keys, offset, angles)?;
        let (keys, values) = cache.update_and_fetch(keys, values)?;
        self.attention(&queries, &keys, &values, l)
    }

    /// `L` rotated queries `[1, heads, L, dim]` over a sequence's whole cached keys and values;
    /// returns `[L, heads · dim]`.
    fn attention(
        &self,
        queries: &Array,
        keys: &Array,
        values: &Array,
        l: i32,
    ) -> Result<Array, InferenceError> {
        Ok(match (&self.decode, l) {
            (Some(decode), 1) => decode.forward(queries, keys, values)?,
            _ => {
                let mask = (l > 1).then_some(ScaledDotProductAttentionMask::Causal);
                let output =
                    scaled_dot_product_attention(queries, keys, values, self.scale, mask, None)?;
                output.transpose_axes(&[0, 2, 1, 3])?.reshape(&[l, -1])?
            }
        })
    }
}

struct Mlp {
    /// gate and up projections, in that order.
    gate_up_proj: FusedLinear,
    down_proj: Linear,
}

impl Mlp {
    /// The MLP of `norm(x)`: `down(silu(gate) · up)`.
    fn forward(&self, x: &Array, norm: &RmsNorm) -> Result<Array, InferenceError> {
        let normed = Prologue::Norm(norm);
        if let Some(gate_up) = self.gate_up_proj.forward_stacked(x, &normed)? {
            return self.down_proj.forward_after(&gate_up, &Prologue::SwiGlu);
        }
        let [gate, up]: [Array; 2] = self
            .gate_up_proj
            .forward_after(x, &normed)?
            .try_into()
            .map_err(|_| {
                InferenceError::Mlx("gate/up projection gave a wrong output count".into())
            })?;
        self.down_proj.forward(&swiglu(&gate, &up)?)
    }
}

struct Layer {
    attention: Attention,
    mlp: Mlp,
    input_norm: RmsNorm,
    post_attention_norm: RmsNorm,
}

pub struct Decoder {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    /// `None` when the output projection is tied to the embeddings.
    lm_head: Option<Linear>,
    /// Shared by every layer: all rotate the same positions.
    rope: Rope,
}

impl Decoder {
    pub fn load(
        config: &ModelConfig,
        weights: &mut Weights,
        traits: Traits,
    ) -> Result<Self, InferenceError> {
        let hidden = config.hidden_size;
        let head_dim = config.head_dim();
        let embed = Embedding::load(weights, "model.embed_tokens", hidden)?;
        weights.read_taken()?;
        eval(embed.arrays())?;
        if embed.rows() != config.vocab_size {
            return Err(InferenceError::weight(
                "model.embed_tokens.weight",
                format!(
                    "has {} rows, config.json says vocab_size {}",
                    embed.rows(),
                    config.vocab_size
                ),
            ));
        }
        // On the CPU, norms, rotary embeddings and one-token attention build graphs with fewer
        // operations than MLX's fallbacks for its fused kernels; on a GPU the kernels run.
        let on_cpu = ComputeDevice::current() == ComputeDevice::Cpu;
        let norm = |w: &mut Weights, name: &str, dims: i32, input_ndim: usize| {
            let weight = w.take_shaped(name, &[dims])?;
            // Read through `Weights` (errors name the file): the norm evaluates its weight.
            w.read_taken()?;
            RmsNorm::new(weight, config.rms_norm_eps, input_ndim, on_cpu)
        };
        let scale = (head_dim as f32).powf(-0.5);
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("model.layers.{i}");
            let linear = |w: &mut Weights,
                          name: &str,
                          bias: bool,
                          (inputs, out): (i32, i32)|
             -> Result<Linear, InferenceError> {
                let layer = Linear::load(w, &format!("{p}.{name}"), bias, inputs)?;
                if layer.out_features() != out {
                    return Err(InferenceError::weight(
                        &format!("{p}.{name}.weight"),
                        format!(
                            "has {} output features, the config implies {out}",
                            layer.out_features()
                        ),
                    ));
                }
                Ok(layer)
            };
            let (q_heads, kv_heads) = (config.num_attention_heads, config.kv_heads());
            let q = linear(
                weights,
                "self_attn.q_proj",
                traits.qkv_bias,
                (hidden, q_heads * head_dim),
            )?;
            let k = linear(
                weights,
                "self_attn.k_proj",
                traits.qkv_bias,
                (hidden, kv_heads * head_dim),
            )?;
            let v = linear(
                weights,
                "self_attn.v_proj",
                traits.qkv_bias,
                (hidden, kv_heads * head_dim),
            )?;
            let o = linear(
                weights,
                "self_attn.o_proj",
                traits.o_bias,
                (q_heads * head_dim, hidden),
            )?;
            let head_norm = |w: &mut Weights, name: &str| {
                traits
                    .qk_norm
                    .then(|| norm(w, &format!("{p}.self_attn.{name}.weight"), head_dim, 4))
                    .transpose()
            };
            let q_norm = head_norm(weights, "q_norm")?;
            let k_norm = head_norm(weights, "k_norm")?;
            let mlp_size = (hidden, config.intermediate_size);
            let gate = linear(weights, "mlp.gate_proj", false, mlp_size)?;
            let up = linear(weights, "mlp.up_proj", false, mlp_size)?;
            let down = linear(
                weights,
                "mlp.down_proj",
                false,
                (config.intermediate_size, hidden),
            )?;
            let input_norm = norm(weights, &format!("{p}.input_layernorm.weight"), hidden, 2)?;
            let post_attention_norm = norm(
                weights,
                &format!("{p}.post_attention_layernorm.weight"),
                hidden,
                2,
            )?;
            // This layer's tensors from disk before stacking copies them (see `Weights`).
            weights.read_taken()?;
            eval(o.arrays().into_iter().chain(down.arrays()))?;
            layers.push(Layer {
                attention: Attention {
                    qkv_proj: FusedLinear::new(vec![q, k, v])?,
                    o_proj: o,
                    q_norm,
                    k_norm,
                    heads: q_heads,
                    kv_heads,
                    scale,
                    decode: DecodeAttention::new(q_heads, kv_heads, scale, on_cpu),
                },
                mlp: Mlp {
                    gate_up_proj: FusedLinear::new(vec![gate, up])?,
                    down_proj: down,
                },
                input_norm,
                post_attention_norm,
            });
        }
        let final_norm = norm(weights, "model.norm.weight", hidden, 2)?;
        let lm_head = match config.tie_word_embeddings {
            true => None,
            false => Some(Linear::load(weights, "lm_head", false, hidden)?),
        };
        weights.read_taken()?;
        if let Some(head) = &lm_head {
            eval(head.arrays())?;
        }
        Ok(Self {
            embed,
            layers,
            norm: final_norm,
            lm_head,
            rope: Rope::new(config, on_cpu)?,
        })
    }

    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Logits `[L, vocab]` for the token ids `[L]` of one sequence, extending the cache.
    pub fn forward(&self, ids: &Array, cache: &mut KvCache) -> Result<Array, InferenceError> {
        let h = self.residual(ids, cache)?;
        self.head(&h)
    }

    /// The final hidden states `[L, hidden]` (after the last norm, before the output head) for
    /// the token ids `[L]` of one sequence, extending the cache: what embeddings pool.
    pub fn hidden(&self, ids: &Array, cache: &mut KvCache) -> Result<Array, InferenceError> {
        self.norm.forward(&self.residual(ids, cache)?)
    }

    /// The residual stream after the last layer (before the final norm).
    fn residual(&self, ids: &Array, cache: &mut KvCache) -> Result<Array, InferenceError> {
        let mut h = self.embed.forward(ids)?;
        let angles = self.rope.angles(1, ids.dim(0), cache.offset())?;
        for (layer, layer_cache) in self.layers.iter().zip(cache.layers.iter_mut()) {
            let attended = layer.attention.forward(
                &h,
                &layer.input_norm,
                layer_cache,
                &self.rope,
                angles.as_ref(),
            )?;
            let h_attn = h.add(attended)?;
            h = h_attn.add(layer.mlp.forward(&h_attn, &layer.post_attention_norm)?)?;
        }
        Ok(h)
    }

    /// Logits for the rows of the residual stream `h`: the final norm, then the output head.
    fn head(&self, h: &Array) -> Result<Array, InferenceError> {
        let normed = Prologue::Norm(&self.norm);
        match &self.lm_head {
            Some(head) => head.forward_after(h, &normed),
            None => self.embed.as_linear_after(h, &normed),
        }
    }
}
