//! Request and response bodies of the model routes.

use mlx_manager_core::domain::DownloadStatus;
use mlx_manager_hub::downloads::DownloadSnapshot;
use mlx_manager_hub::{Badges, LocalModel, ModelCharacteristics, SearchResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::routes::auth::rfc3339;

const GIB: f64 = (1u64 << 30) as f64;

fn gib(bytes: u64) -> f64 {
    (bytes as f64 / GIB * 100.0).round() / 100.0
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Text to look for in model ids (1–200 characters, not only spaces).
    #[param(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r]")]
    pub query: String,
    /// 1–100; default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Default `downloads`.
    #[param(value_type = Option<SearchSortParam>, inline)]
    pub sort: Option<String>,
    /// Leave out models whose estimated size is larger (or unknown).
    #[param(exclusive_minimum = 0)]
    pub max_size_gb: Option<f64>,
}

/// The order of search results, most first (the schema of `sort`; the hub's `SearchSort`
/// parses it, so an unknown order is a 422 naming `sort`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSortParam {
    Downloads,
    Likes,
    LastModified,
    Trending,
}

/// The `{org}` and `{name}` path parameters of a model: each part of `RepoId::parse`'s rule.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ModelPath {
    /// The owner, e.g. `mlx-community`.
    #[param(
        max_length = 96,
        pattern = r"^[ \t\n\r]*[A-Za-z0-9_]+(?:(?:-(?:\.-)*\.?|\.(?:-\.)*-?)[A-Za-z0-9_]+)*[ \t\n\r]*$"
    )]
    pub org: String,
    /// The repository, e.g. `Qwen3-0.6B-4bit`.
    #[param(
        max_length = 96,
        pattern = r"^[ \t\n\r]*[A-Za-z0-9_]+(?:(?:-(?:\.-)*\.?|\.(?:-\.)*-?)[A-Za-z0-9_]+)*[ \t\n\r]*$"
    )]
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BadgesResponse {
    /// Architecture family, e.g. `Qwen`, `Llama`.
    pub architecture: Option<String>,
    pub quantization_bits: Option<u64>,
    pub tool_use: bool,
    pub vision: bool,
    pub thinking: bool,
}

impl From<Badges> for BadgesResponse {
    fn from(b: Badges) -> Self {
        Self {
            architecture: b.architecture,
            quantization_bits: b.quantization_bits,
            tool_use: b.tool_use,
            vision: b.vision,
            thinking: b.thinking,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResultResponse {
    pub model_id: String,
    pub author: Option<String>,
    pub downloads: u64,
    pub likes: u64,
    pub last_modified: Option<String>,
    pub tags: Vec<String>,
    /// From the weights' parameter counts, else the repository's storage, else the name.
    pub estimated_size_bytes: Option<u64>,
    pub estimated_size_gb: Option<f64>,
    /// Whether the estimated size fits the memory budget (80 % of RAM).
    pub fits_in_memory: Option<bool>,
    /// Complete in the local cache.
    pub is_downloaded: bool,
    pub badges: BadgesResponse,
}

impl From<SearchResult> for SearchResultResponse {
    fn from(r: SearchResult) -> Self {
        Self {
            model_id: r.model_id,
            author: r.author,
            downloads: r.downloads,
            likes: r.likes,
            last_modified: r.last_modified,
            tags: r.tags,
            estimated_size_gb: r.estimated_size_bytes.map(gib),
            estimated_size_bytes: r.estimated_size_bytes,
            fits_in_memory: r.fits_in_memory,
            is_downloaded: r.is_downloaded,
            badges: r.badges.into(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ModelCharacteristicsResponse {
    pub model_type: Option<String>,
    pub architecture_family: Option<String>,
    pub architectures: Vec<String>,
    /// Context length.
    pub max_position_embeddings: Option<u64>,
    pub num_hidden_layers: Option<u64>,
    pub hidden_size: Option<u64>,
    pub vocab_size: Option<u64>,
    pub num_attention_heads: Option<u64>,
    pub num_key_value_heads: Option<u64>,
    pub quantization_bits: Option<u64>,
    pub quantization_group_size: Option<u64>,
    pub is_multimodal: bool,
    pub multimodal_type: Option<String>,
    /// The chat template accepts tools.
    pub is_tool_use: bool,
    /// The chat template has an `enable_thinking` switch, which a profile's
    /// `template_options` can set.
    pub has_thinking_switch: bool,
}

impl From<ModelCharacteristics> for ModelCharacteristicsResponse {
    fn from(c: ModelCharacteristics) -> Self {
        Self {
            model_type: c.model_type,
            architecture_family: c.architecture_family,
            architectures: c.architectures,
            max_position_embeddings: c.max_position_embeddings,
            num_hidden_layers: c.num_hidden_layers,
            hidden_size: c.hidden_size,
            vocab_size: c.vocab_size,
            num_attention_heads: c.num_attention_heads,
            num_key_value_heads: c.num_key_value_heads,
            quantization_bits: c.quantization_bits,
            quantization_group_size: c.quantization_group_size,
            is_multimodal: c.is_multimodal,
            multimodal_type: c.multimodal_type,
            is_tool_use: c.is_tool_use,
            has_thinking_switch: c.has_thinking_switch,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LocalModelResponse {
    pub model_id: String,
    /// The snapshot's commit.
    pub commit: String,
    /// The snapshot folder.
    pub local_path: String,
    pub size_bytes: u64,
    pub size_gb: f64,
    pub characteristics: Option<ModelCharacteristicsResponse>,
}

impl From<LocalModel> for LocalModelResponse {
    fn from(m: LocalModel) -> Self {
        Self {
            model_id: m.repo_id.to_string(),
            commit: m.commit,
            local_path: m.path.display().to_string(),
            size_gb: gib(m.size_bytes),
            size_bytes: m.size_bytes,
            characteristics: m.characteristics.map(Into::into),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DownloadRequest {
    /// `org/name` on the hub: in each part letters, digits, `-`, `_` and `.`, not first or
    /// last, and no `--` or `..` (`RepoId::parse`'s rule; at most 96 characters).
    #[schema(
        example = "mlx-community/Qwen3-0.6B-4bit",
        max_length = 96,
        pattern = r"^[ \t\n\r]*[A-Za-z0-9_]+(?:(?:-(?:\.-)*\.?|\.(?:-\.)*-?)[A-Za-z0-9_]+)*/[A-Za-z0-9_]+(?:(?:-(?:\.-)*\.?|\.(?:-\.)*-?)[A-Za-z0-9_]+)*[ \t\n\r]*$"
    )]
    pub model_id: String,
    /// Branch, tag or commit; default `main`. Letters, digits, `_`, `-`, `.` and `/`, in
    /// segments separated by single `/`, none starting or ending with `.`, none containing `..`
    /// or ending in `.lock` (e.g. `main`, `v1.0`, `refs/pr/1`, a 40-hex commit); spaces and line
    /// breaks around it are ignored.
    // The pattern is `Revision::parse`'s rule (crates/core/src/domain/revision.rs); the e2e test
    // `security::cache_and_downloads` checks that the two agree.
    #[schema(
        example = "main",
        max_length = 255,
        pattern = r"^[ \t\n\r]*(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-jl-z0-9_-]|\.[A-Za-z0-9_-])|[A-Za-jl-z0-9_-]|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Zabd-z0-9_-]|\.[A-Za-z0-9_-])|[A-Zabd-z0-9_-])?k|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-np-z0-9_-]|\.[A-Za-z0-9_-])|[A-Za-np-z0-9_-])?ck|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-z0-9_-]|\.[A-Za-km-z0-9_-])|[A-Za-z0-9_-])?ock)(?:/(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-jl-z0-9_-]|\.[A-Za-z0-9_-])|[A-Za-jl-z0-9_-]|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Zabd-z0-9_-]|\.[A-Za-z0-9_-])|[A-Zabd-z0-9_-])?k|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-np-z0-9_-]|\.[A-Za-z0-9_-])|[A-Za-np-z0-9_-])?ck|(?:[A-Za-z0-9_-](?:[A-Za-z0-9_-]|\.[A-Za-z0-9_-])*(?:[A-Za-z0-9_-]|\.[A-Za-km-z0-9_-])|[A-Za-z0-9_-])?ock))*[ \t\n\r]*$"
    )]
    pub revision: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DownloadState {
    Queued,
    Downloading,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl From<DownloadStatus> for DownloadState {
    fn from(s: DownloadStatus) -> Self {
        match s {
            DownloadStatus::Queued => Self::Queued,
            DownloadStatus::Downloading => Self::Downloading,
            DownloadStatus::Paused => Self::Paused,
            DownloadStatus::Completed => Self::Completed,
            DownloadStatus::Failed => Self::Failed,
            DownloadStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A download job and its progress (also each Server-Sent Event's data).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DownloadResponse {
    pub id: i32,
    pub model_id: String,
    pub revision: String,
    /// The commit the revision resolved to, once known.
    pub commit: Option<String>,
    pub status: DownloadState,
    pub downloaded_bytes: u64,
    /// 0 until the file list is known.
    pub total_bytes: u64,
    /// 0–100.
    pub progress: f64,
    /// Over the last few seconds.
    pub bytes_per_second: f64,
    /// At the current rate; null while unknown.
    pub eta_seconds: Option<u64>,
    pub current_file: Option<String>,
    pub files_done: u32,
    pub files_total: u32,
    /// Why it failed.
    pub error: Option<String>,
    /// The id of the user who asked for it; null once that user is deleted.
    pub requested_by: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
    pub finished_at: Option<String>,
}

impl From<DownloadSnapshot> for DownloadResponse {
    fn from(s: DownloadSnapshot) -> Self {
        let progress = if s.total_bytes == 0 {
            if s.status == DownloadStatus::Completed {
                100.0
            } else {
                0.0
            }
        } else {
            (s.downloaded_bytes as f64 / s.total_bytes as f64 * 1000.0).round() / 10.0
        };
        Self {
            id: s.id,
            model_id: s.model_id,
            revision: s.revision,
            commit: s.commit,
            status: s.status.into(),
            downloaded_bytes: s.downloaded_bytes,
            total_bytes: s.total_bytes,
            progress,
            bytes_per_second: s.bytes_per_sec.round(),
            eta_seconds: s.eta_secs,
            current_file: s.current_file,
            files_done: s.files_done,
            files_total: s.files_total,
            error: s.error,
            requested_by: s.requested_by,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
            finished_at: s.finished_at.map(rfc3339),
        }
    }
}
