//! Models present in the local hub cache, whoever downloaded them (us or Python tools).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cache::walk_files;
use super::characteristics::{ModelCharacteristics, chat_template_from};
use super::{HubCache, RepoCache, RepoId};
use mlx_manager_core::domain::{CommitSha, Revision};

/// A model snapshot in the cache.
#[derive(Debug, Clone)]
pub struct LocalModel {
    pub repo_id: RepoId,
    pub commit: String,
    /// The snapshot folder: what loaders open.
    pub path: PathBuf,
    /// Bytes of the snapshot's files.
    pub size_bytes: u64,
    /// Every file of the snapshot is present and no partial blob is waiting: usable as it is.
    pub ready: bool,
    pub characteristics: Option<ModelCharacteristics>,
}

/// Every model in the cache with a snapshot, ready or not.
pub fn local_models(cache: &HubCache) -> std::io::Result<Vec<LocalModel>> {
    Ok(cache
        .repos()?
        .iter()
        .filter_map(|id| local_model(cache, id))
        .collect())
}

/// The snapshot `refs/main` points to (else the newest one), if the repo has one.
pub fn local_model(cache: &HubCache, id: &RepoId) -> Option<LocalModel> {
    local_model_at(cache, id, None)
}

/// [`local_model`] at a revision: the snapshot its ref (or commit) names; `None` or `main`
/// means the current snapshot.
pub fn local_model_at(
    cache: &HubCache,
    id: &RepoId,
    revision: Option<&Revision>,
) -> Option<LocalModel> {
    let repo = cache.repo(id);
    let (commit, path) = match revision {
        Some(revision) if *revision != Revision::main() => {
            let commit = if revision.is_commit() {
                CommitSha::parse(revision.as_str()).ok()?
            } else {
                repo.read_ref(revision)?
            };
            let dir = repo.snapshot_dir(&commit);
            if !dir.is_dir() {
                return None;
            }
            (commit.to_string(), dir)
        }
        _ => current_snapshot(&repo)?,
    };
    let mut size_bytes = 0;
    let mut every_file_present = true;
    for file in walk_files(&path) {
        match std::fs::metadata(&file) {
            Ok(meta) => size_bytes += meta.len(),
            Err(_) => every_file_present = false,
        }
    }
    let ready = every_file_present && size_bytes > 0 && repo.incomplete_blobs().is_empty();
    Some(LocalModel {
        repo_id: id.clone(),
        commit,
        characteristics: read_characteristics(&path),
        path,
        size_bytes,
        ready,
    })
}

fn current_snapshot(repo: &RepoCache) -> Option<(String, PathBuf)> {
    if let Some(commit) = repo.read_ref(&Revision::main()) {
        let dir = repo.snapshot_dir(&commit);
        if dir.is_dir() {
            return Some((commit.to_string(), dir));
        }
    }
    let entries = std::fs::read_dir(repo.dir().join("snapshots")).ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
}

/// Characteristics from the files of a model folder, if it has a readable `config.json`.
pub fn read_characteristics(model_dir: &Path) -> Option<ModelCharacteristics> {
    let config = read_json(&model_dir.join("config.json"))?;
    let tokenizer_config = read_json(&model_dir.join("tokenizer_config.json"));
    let jinja = std::fs::read_to_string(model_dir.join("chat_template.jinja")).ok();
    let template = chat_template_from(tokenizer_config.as_ref(), jinja);
    Some(ModelCharacteristics::from_config(
        &config,
        template.as_deref(),
    ))
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
