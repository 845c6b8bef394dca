//! Embeddings for the model API: the model a request names, loaded on demand through the pool
//! like any generation, turning each input into a unit vector on the model's own thread.

use mlx_manager_core::domain::User;
use mlx_manager_core::domain::profile::EmbeddingPooling;
use mlx_manager_inference::generation::{EmbeddingInput, EmbeddingRequest, Embeddings, Pooling};

use crate::{Serving, ServingError};

impl Serving {
    /// Embeds `inputs` with the model or profile `model` names, pooled as the profile says
    /// (else the last token's state, as decoder embedding models such as Qwen3-Embedding are
    /// trained), keeping the first `dimensions` when given. Dropping the future cancels it
    /// between inputs.
    pub async fn embed(
        &self,
        actor: &User,
        model: &str,
        inputs: Vec<EmbeddingInput>,
        dimensions: Option<usize>,
    ) -> Result<Embeddings, ServingError> {
        let target = self.resolve_model(model).await?;
        self.check_may_run(actor, &target).await?;
        let pooling = match target.profile.as_ref().map(|p| p.spec.embedding_pooling) {
            None | Some(EmbeddingPooling::LastToken) => Pooling::LastToken,
            Some(EmbeddingPooling::Mean) => Pooling::Mean,
        };
        let lease = self.inner.pool.acquire(target.spec).await?;
        let request = EmbeddingRequest {
            inputs,
            pooling,
            dimensions,
        };
        Ok(lease.model().embed(request).await?)
    }
}
