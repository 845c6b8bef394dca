//! Search results: the hub's answer enriched with size, memory fit, local presence and badges.

mod badges;
mod weights_size;

use mlx_manager_core::memory::{MemoryBudget, MemoryNeed};

pub use self::badges::Badges;
use self::badges::badges;
use self::weights_size::estimated_size;
use crate::{HubCache, HubError, HubModel, RepoId, local_model, local_models};

/// How results are ordered (always descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    #[default]
    Downloads,
    Likes,
    LastModified,
    Trending,
}

impl SearchSort {
    pub fn parse(raw: &str) -> Result<Self, HubError> {
        match raw {
            "downloads" => Ok(Self::Downloads),
            "likes" => Ok(Self::Likes),
            "last_modified" => Ok(Self::LastModified),
            "trending" => Ok(Self::Trending),
            other => Err(HubError::Invalid {
                field: "sort",
                message: format!(
                    "{other:?} is not one of downloads, likes, last_modified, trending"
                ),
            }),
        }
    }

    /// The hub's name for the order.
    pub fn hub_key(self) -> &'static str {
        match self {
            Self::Downloads => "downloads",
            Self::Likes => "likes",
            Self::LastModified => "lastModified",
            Self::Trending => "trendingScore",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub model_id: String,
    pub author: Option<String>,
    pub downloads: u64,
    pub likes: u64,
    pub last_modified: Option<String>,
    pub tags: Vec<String>,
    /// Weights size from the safetensors parameter counts, else the repo's storage, else a guess
    /// from the name; `None` when nothing tells.
    pub estimated_size_bytes: Option<u64>,
    pub fits_in_memory: Option<bool>,
    pub is_downloaded: bool,
    pub badges: Badges,
}

/// Enriches hub results; `max_size_bytes` drops larger (or unknown-size) models.
pub fn search_results(
    models: Vec<HubModel>,
    cache: &HubCache,
    budget: MemoryBudget,
    max_size_bytes: Option<u64>,
    limit: usize,
) -> Vec<SearchResult> {
    models
        .into_iter()
        .map(|model| {
            let size = estimated_size(&model);
            let is_downloaded = RepoId::parse(&model.id)
                .ok()
                .and_then(|id| local_model(cache, &id))
                .is_some_and(|local| local.ready);
            SearchResult {
                badges: badges(&model),
                author: model
                    .author
                    .clone()
                    .or_else(|| model.id.split_once('/').map(|(org, _)| org.to_string())),
                model_id: model.id,
                downloads: model.downloads,
                likes: model.likes,
                last_modified: model.last_modified,
                tags: model.tags,
                estimated_size_bytes: size,
                fits_in_memory: size.map(|s| budget.fits(&MemoryNeed::estimate(s, None, 0))),
                is_downloaded,
            }
        })
        .filter(|r| match max_size_bytes {
            Some(max) => r.estimated_size_bytes.is_some_and(|s| s <= max),
            None => true,
        })
        .take(limit)
        .collect()
}

/// Offline search: models in the local cache whose id contains the text.
pub fn search_local(
    cache: &HubCache,
    text: &str,
    budget: MemoryBudget,
    limit: usize,
) -> Vec<SearchResult> {
    let needle = text.to_lowercase();
    let Ok(models) = local_models(cache) else {
        return Vec::new();
    };
    models
        .into_iter()
        .filter(|m| m.ready && m.repo_id.as_str().to_lowercase().contains(&needle))
        .take(limit)
        .map(|m| {
            let c = m.characteristics.unwrap_or_default();
            SearchResult {
                author: Some(m.repo_id.org().to_string()),
                model_id: m.repo_id.to_string(),
                downloads: 0,
                likes: 0,
                last_modified: None,
                tags: Vec::new(),
                estimated_size_bytes: Some(m.size_bytes),
                fits_in_memory: Some(budget.fits(&MemoryNeed::estimate(m.size_bytes, None, 0))),
                is_downloaded: true,
                badges: Badges {
                    architecture: c.architecture_family,
                    quantization_bits: c.quantization_bits,
                    tool_use: c.is_tool_use,
                    vision: c.multimodal_type.as_deref() == Some("vision"),
                    thinking: false,
                },
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn model(id: &str) -> HubModel {
        serde_json::from_value(serde_json::json!({"id": id})).unwrap()
    }

    #[test]
    fn max_size_filters_out_larger_and_unknown_models() {
        let temp = tempfile::tempdir().unwrap();
        let cache = HubCache::new(temp.path());
        let models = vec![
            model("a/m-1B-4bit"),
            model("a/m-70B-4bit"),
            model("a/unknown"),
        ];
        let results = search_results(
            models,
            &cache,
            MemoryBudget::of_total(16 << 30),
            Some(2 << 30),
            10,
        );
        let ids: Vec<_> = results.iter().map(|r| r.model_id.as_str()).collect();
        assert_eq!(ids, ["a/m-1B-4bit"]);
        assert_eq!(results[0].fits_in_memory, Some(true));
    }
}
