//! The hub's JSON answers, as far as search and downloads read them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A model as the hub's search lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubModel {
    pub id: String,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub downloads: u64,
    #[serde(default)]
    pub likes: u64,
    #[serde(default)]
    pub last_modified: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, rename = "library_name")]
    pub library_name: Option<String>,
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    #[serde(default)]
    pub used_storage: Option<u64>,
    #[serde(default)]
    pub safetensors: Option<SafetensorsInfo>,
    #[serde(default)]
    pub config: Option<serde_json::Value>,
    #[serde(default)]
    pub sha: Option<String>,
}

/// Parameter counts per dtype, as the hub reads them from the safetensors headers.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct SafetensorsInfo {
    #[serde(default)]
    pub parameters: BTreeMap<String, u64>,
    #[serde(default)]
    pub total: u64,
}

/// One file of a repository at a commit (`/api/models/{id}/tree/{rev}`).
#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub size: u64,
    /// The git blob sha1: the cache's blob name for regular files.
    #[serde(default)]
    pub oid: String,
    #[serde(default)]
    pub lfs: Option<LfsInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LfsInfo {
    /// The sha256 of the content: the cache's blob name for LFS files.
    pub oid: String,
    pub size: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ModelInfo {
    pub(super) sha: Option<String>,
}
