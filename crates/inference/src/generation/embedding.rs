//! Embeddings from a decoder model: each input's final hidden state, pooled (the last token's,
//! as Qwen3-Embedding is trained, or the mean over tokens), L2-normalised, optionally truncated
//! to fewer dimensions and normalised again (for models trained to allow it). Runs on the
//! model's worker thread.

use super::bundle::ModelBundle;
use crate::InferenceError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooling {
    #[default]
    LastToken,
    Mean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbeddingInput {
    /// Tokenized with the tokenizer's special tokens (its post-processor), as for raw prompts.
    Text(String),
    Tokens(Vec<u32>),
}

#[derive(Debug, Clone)]
pub struct EmbeddingRequest {
    pub inputs: Vec<EmbeddingInput>,
    pub pooling: Pooling,
    /// Keep only the first this many dimensions (then normalise again).
    pub dimensions: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// One unit vector per input, in order.
    pub vectors: Vec<Vec<f32>>,
    /// The tokens of all inputs.
    pub prompt_tokens: usize,
}

/// Embeds every input; `cancelled` is asked between inputs.
pub(super) fn embed(
    bundle: &ModelBundle,
    request: &EmbeddingRequest,
    cancelled: impl Fn() -> bool,
) -> Result<Embeddings, InferenceError> {
    let hidden_size = bundle.model.config.hidden_size as usize;
    if request
        .dimensions
        .is_some_and(|d| d == 0 || d > hidden_size)
    {
        return Err(InferenceError::InvalidParameter {
            name: "dimensions",
            message: format!("the model's embeddings have {hidden_size} dimensions"),
        });
    }
    let vocab = bundle.model.config.vocab_size as usize;
    let mut embeddings = Embeddings {
        vectors: Vec::with_capacity(request.inputs.len()),
        prompt_tokens: 0,
    };
    for input in &request.inputs {
        if cancelled() {
            return Err(InferenceError::Stopped {
                model: bundle.model.dir.display().to_string(),
            });
        }
        let ids = match input {
            EmbeddingInput::Text(text) => bundle.tokenizer.encode(text, true)?,
            EmbeddingInput::Tokens(ids) => ids.clone(),
        };
        if ids.is_empty() {
            return Err(InferenceError::Tokenizer(
                "an input to embed is empty".into(),
            ));
        }
        if let Some(bad) = ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(InferenceError::Tokenizer(format!(
                "token {bad} is not in the model's vocabulary of {vocab}"
            )));
        }
        if let Some(context) = bundle.model.config.max_position_embeddings
            && ids.len() > context
        {
            return Err(InferenceError::PromptTooLong {
                prompt: ids.len(),
                context,
            });
        }
        let pooled = bundle
            .model
            .pooled_hidden(&ids, request.pooling == Pooling::Mean)?;
        let mut vector = pooled.as_slice::<f32>().to_vec();
        normalise(&mut vector);
        if let Some(dimensions) = request.dimensions {
            vector.truncate(dimensions);
            normalise(&mut vector);
        }
        embeddings.prompt_tokens += ids.len();
        embeddings.vectors.push(vector);
    }
    Ok(embeddings)
}

/// Scales to length 1 (a zero vector stays zero).
fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}
