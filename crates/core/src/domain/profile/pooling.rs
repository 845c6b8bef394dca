//! How a profile's model turns a text into one embedding (`/v1/embeddings`).

use crate::InvalidField;

/// Which hidden states make the embedding: the last token's (what decoder embedding models
/// such as Qwen3-Embedding are trained for; the default) or the mean over all tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmbeddingPooling {
    #[default]
    LastToken,
    Mean,
}

impl EmbeddingPooling {
    /// `last` or `mean`, as the API and the database spell them.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        match raw {
            "last" => Ok(Self::LastToken),
            "mean" => Ok(Self::Mean),
            other => Err(InvalidField::new(
                "embedding_pooling",
                format!("must be \"last\" or \"mean\", got {other:?}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastToken => "last",
            Self::Mean => "mean",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_round_trips_its_names_and_refuses_others() {
        for pooling in [EmbeddingPooling::LastToken, EmbeddingPooling::Mean] {
            assert_eq!(EmbeddingPooling::parse(pooling.as_str()), Ok(pooling));
        }
        let error = EmbeddingPooling::parse("cls").unwrap_err();
        assert_eq!(error.field, "embedding_pooling");
        assert_eq!(EmbeddingPooling::default(), EmbeddingPooling::LastToken);
    }
}
