//! The network: a decoder-only transformer built from the checkpoint's tensors, and the cache
//! of keys and values it extends token by token. Ops mirror mlx-lm's so outputs match it.

mod attention;
mod decoder;
mod kv_cache;
mod layers;
mod norm;
mod rope;
mod weights;

pub use decoder::{Decoder, Traits};
pub use kv_cache::{KvCache, LayerCache};
#[cfg(test)]
pub(crate) use layers::swiglu;
pub use weights::Weights;
pub(crate) use weights::shard_files;
