//! The log-probabilities of generated tokens, for OpenAI's `logprobs`: the chosen token's and
//! the most likely alternatives', from the distribution it was drawn from. They are queued
//! with the token (no extra host round trip) and read when the token is.

use mlx_rs::Array;
use mlx_rs::ops::argpartition_axis;
use mlx_rs::ops::indexing::{Ellipsis, TryIndexOp};

use crate::InferenceError;
use crate::text::Tokenizer;

/// Most alternatives a request may ask for (OpenAI's limit).
pub const MAX_TOP_LOGPROBS: usize = 20;

/// One generated token's score.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    pub token_id: u32,
    /// What the token stands for (possibly part of a UTF-8 character).
    pub bytes: Vec<u8>,
    pub logprob: f32,
    /// The most likely tokens at this step, most likely first (the chosen one among them when
    /// it is likely enough).
    pub top: Vec<Alternative>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub token_id: u32,
    pub bytes: Vec<u8>,
    pub logprob: f32,
}

/// A step's scores, still lazy.
pub(super) struct PendingScores {
    chosen: Array,
    top: Option<(Array, Array)>,
}

impl PendingScores {
    /// The chosen `token`'s log-probability in `logprobs` (`[1, vocab]`) and the `top` most
    /// likely tokens (0 = none), as lazy arrays.
    pub fn new(token: &Array, logprobs: &Array, top: usize) -> Result<Self, InferenceError> {
        let chosen = logprobs.take_along_axis(&token.reshape(&[1, 1])?, -1)?;
        let vocab = logprobs.shape().last().copied().unwrap_or(0);
        let count = i32::try_from(top.min(MAX_TOP_LOGPROBS))
            .unwrap_or(0)
            .min(vocab);
        let top = match count {
            0 => None,
            count => {
                let ids = argpartition_axis(logprobs.negative()?, count - 1, -1)?
                    .try_index((Ellipsis, ..count))?;
                let values = logprobs.take_along_axis(&ids, -1)?;
                Some((ids, values))
            }
        };
        Ok(Self { chosen, top })
    }

    /// The arrays to evaluate together with the token.
    pub fn arrays(&self) -> Vec<&Array> {
        let mut arrays = vec![&self.chosen];
        if let Some((ids, values)) = &self.top {
            arrays.extend([ids, values]);
        }
        arrays
    }

    /// Reads the scores (evaluating them if needed).
    pub fn read(
        &self,
        token_id: u32,
        tokenizer: &Tokenizer,
    ) -> Result<TokenLogprob, InferenceError> {
        let chosen = self.chosen.as_dtype(mlx_rs::Dtype::Float32)?;
        chosen.eval()?;
        let logprob = chosen.as_slice::<f32>()[0];
        let mut top = Vec::new();
        if let Some((ids, values)) = &self.top {
            let ids = ids.as_dtype(mlx_rs::Dtype::Uint32)?;
            let values = values.as_dtype(mlx_rs::Dtype::Float32)?;
            mlx_rs::transforms::eval([&ids, &values])?;
            top = ids
                .as_slice::<u32>()
                .iter()
                .zip(values.as_slice::<f32>())
                .map(|(&token_id, &logprob)| Alternative {
                    token_id,
                    bytes: tokenizer.token_bytes(token_id),
                    logprob,
                })
                .collect();
            top.sort_by(|a, b| {
                b.logprob
                    .total_cmp(&a.logprob)
                    .then(a.token_id.cmp(&b.token_id))
            });
        }
        Ok(TokenLogprob {
            token_id,
            bytes: tokenizer.token_bytes(token_id),
            logprob,
            top,
        })
    }
}
