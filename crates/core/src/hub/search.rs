//! Search results: the hub's answer enriched with size, memory fit, local presence and badges.

use serde_json::Value;

use super::characteristics::architecture_family;
use super::{HubCache, HubModel, RepoId, local_model, local_models};
use crate::CoreError;

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
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        match raw {
            "downloads" => Ok(Self::Downloads),
            "likes" => Ok(Self::Likes),
            "last_modified" | "lastModified" => Ok(Self::LastModified),
            "trending" => Ok(Self::Trending),
            other => Err(CoreError::Invalid {
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

/// How much memory models may use: 80 % of RAM, what MLX recommends keeping for weights.
#[derive(Debug, Clone, Copy)]
pub struct MemoryBudget {
    pub total_bytes: u64,
    pub budget_bytes: u64,
}

impl MemoryBudget {
    pub fn detect() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        Self::of_total(system.total_memory())
    }

    pub fn of_total(total_bytes: u64) -> Self {
        Self {
            total_bytes,
            budget_bytes: total_bytes / 10 * 8,
        }
    }
}

/// Short facts shown beside a result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Badges {
    pub architecture: Option<String>,
    pub quantization_bits: Option<u64>,
    pub tool_use: bool,
    pub vision: bool,
    pub thinking: bool,
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
                fits_in_memory: size.map(|s| s <= budget.budget_bytes),
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
                fits_in_memory: Some(m.size_bytes <= budget.budget_bytes),
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

fn estimated_size(model: &HubModel) -> Option<u64> {
    if let Some(info) = &model.safetensors {
        let bytes: u64 = info
            .parameters
            .iter()
            .map(|(dtype, count)| count * dtype_bytes(dtype))
            .sum();
        if bytes > 0 {
            return Some(bytes);
        }
    }
    model
        .used_storage
        .filter(|&s| s > 0)
        .or_else(|| size_from_name(&model.id))
}

fn dtype_bytes(dtype: &str) -> u64 {
    match dtype.to_ascii_uppercase().as_str() {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

/// "Qwen3-8B-4bit" → 8e9 parameters × 4 bits, plus 10 % for scales and embeddings.
fn size_from_name(id: &str) -> Option<u64> {
    let name = id.rsplit('/').next().unwrap_or(id).to_lowercase();
    let params: f64 = name.split(['-', '_']).find_map(|part| {
        let number = part.strip_suffix('b')?;
        number
            .parse::<f64>()
            .ok()
            .filter(|n| *n > 0.0 && *n < 2000.0)
    })? * 1e9;
    let bits = bits_from_name(&name).unwrap_or(16) as f64;
    Some((params * bits / 8.0 * 1.1) as u64)
}

fn bits_from_name(name: &str) -> Option<u64> {
    name.split(['-', '_']).find_map(|part| {
        let part = part.strip_suffix("bit")?.trim_end_matches('-');
        part.parse().ok().filter(|b| (1..=16).contains(b))
    })
}

fn badges(model: &HubModel) -> Badges {
    let name = model.id.to_lowercase();
    let has_tag = |wanted: &[&str]| model.tags.iter().any(|t| wanted.contains(&t.as_str()));
    let config = model.config.as_ref();
    let model_type = config
        .and_then(|c| c.get("model_type"))
        .and_then(Value::as_str);
    let template = config
        .and_then(|c| c.get("tokenizer_config"))
        .and_then(|t| t.get("chat_template"))
        .map(|t| t.to_string())
        .unwrap_or_default();
    let quantization_bits = config
        .and_then(|c| {
            c.get("quantization")
                .or_else(|| c.get("quantization_config"))
        })
        .and_then(|q| q.get("bits"))
        .and_then(Value::as_u64)
        .or_else(|| bits_from_name(&name));
    Badges {
        architecture: model_type.map(architecture_family),
        quantization_bits,
        tool_use: template.contains("tools")
            || has_tag(&["tool-use", "function-calling", "tools", "agent"]),
        vision: model.pipeline_tag.as_deref() == Some("image-text-to-text")
            || has_tag(&["vision", "image-text-to-text", "multimodal"])
            || name.contains("-vl"),
        thinking: template.contains("<think>")
            || template.contains("enable_thinking")
            || has_tag(&["reasoning", "thinking"])
            || name.contains("thinking")
            || name.contains("-r1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> HubModel {
        serde_json::from_value(serde_json::json!({"id": id})).unwrap()
    }

    #[test]
    fn size_comes_from_safetensors_parameters_per_dtype() {
        let mut m = model("mlx-community/x");
        m.safetensors = serde_json::from_value(serde_json::json!({
            "parameters": {"U32": 1000, "BF16": 500}, "total": 1500
        }))
        .ok();
        assert_eq!(estimated_size(&m), Some(5000));
    }

    #[test]
    fn without_metadata_the_size_is_guessed_from_the_name() {
        let size = estimated_size(&model("mlx-community/Qwen3-8B-4bit")).unwrap();
        assert_eq!(size, 4_400_000_000);
        assert_eq!(estimated_size(&model("org/no-size-here")), None);
    }

    #[test]
    fn badges_read_config_template_tags_and_name() {
        let m: HubModel = serde_json::from_value(serde_json::json!({
            "id": "mlx-community/Qwen3-VL-4B-Thinking-8bit",
            "tags": ["mlx"],
            "config": {"model_type": "qwen3_vl", "tokenizer_config": {"chat_template": "{% if tools %}{% endif %}"}}
        }))
        .unwrap();
        let b = badges(&m);
        assert_eq!(b.architecture.as_deref(), Some("Qwen"));
        assert_eq!(b.quantization_bits, Some(8));
        assert!(b.tool_use && b.vision && b.thinking);
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
