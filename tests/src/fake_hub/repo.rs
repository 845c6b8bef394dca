//! The repositories a fake hub serves: their files and commits (built by `publish`, shown as JSON by
//! `repo_json`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::ModelCard;

#[derive(Clone)]
pub(super) enum Content {
    Memory(Bytes),
    Disk(PathBuf),
}

pub(super) struct HubFile {
    pub path: String,
    pub size: u64,
    pub content: Content,
    /// Git blob sha1: of the content for regular files, of the LFS pointer file for LFS files.
    pub blob_id: String,
    pub lfs: Option<Lfs>,
}

pub(super) struct Lfs {
    pub sha256: String,
    pub pointer_size: u64,
}

impl HubFile {
    /// What clients name the blob after: the sha256 for LFS files, the git sha1 otherwise.
    pub fn etag(&self) -> &str {
        self.lfs.as_ref().map_or(&self.blob_id, |lfs| &lfs.sha256)
    }
}

pub(super) struct Commit {
    pub sha: String,
    pub files: BTreeMap<String, Arc<HubFile>>,
    pub published_at: u64,
    pub config: Option<Value>,
    /// Parameter count per dtype, from the safetensors headers.
    pub parameters: BTreeMap<String, u64>,
}

pub(super) struct Repo {
    pub id: String,
    pub card: ModelCard,
    pub created_at: u64,
    pub commits: Vec<Arc<Commit>>,
}

impl Repo {
    pub fn head(&self) -> &Arc<Commit> {
        self.commits.last().expect("a published repo has a commit")
    }

    /// `main`, or the full sha of any commit of the repo.
    pub fn revision(&self, revision: &str) -> Option<Arc<Commit>> {
        if revision == "main" {
            return Some(self.head().clone());
        }
        self.commits.iter().find(|c| c.sha == revision).cloned()
    }

    /// The newest file of the repo whose content has this sha256, preferring `path` if given.
    pub fn lfs_file(&self, sha256: &str, path: Option<&str>) -> Option<Arc<HubFile>> {
        let matches =
            |file: &Arc<HubFile>| file.lfs.as_ref().is_some_and(|lfs| lfs.sha256 == sha256);
        let files = || self.commits.iter().rev().flat_map(|c| c.files.values());
        files()
            .find(|file| matches(file) && path.is_none_or(|path| file.path == path))
            .or_else(|| files().find(|file| matches(file)))
            .cloned()
    }

    pub fn author(&self) -> &str {
        self.id.split('/').next().unwrap_or_default()
    }

    pub fn tags(&self) -> Vec<String> {
        let mut tags = vec!["mlx".to_owned(), "safetensors".to_owned()];
        for tag in &self.card.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        tags
    }

    pub fn created_at(&self) -> u64 {
        self.created_at
    }

    pub fn last_modified(&self) -> u64 {
        self.head().published_at
    }
}
