//! The repositories a fake hub serves: files, commits, and the JSON the hub API gives about them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::ModelCard;

/// Files this big, or with an LFS extension, are LFS files (302 to the CDN).
const LFS_MIN_SIZE: u64 = 1024 * 1024;
const LFS_EXTENSIONS: [&str; 3] = [".safetensors", ".gguf", ".bin"];
/// Files up to this size are kept in memory at publish time; bigger ones are read from disk.
const IN_MEMORY_MAX: u64 = 16 * 1024 * 1024;
/// The first publish is at 2026-11-20T10:00:00Z; each later one a minute after the previous.
const FIRST_PUBLISH: u64 = 1_795_168_800;

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

    fn sibling_json(&self) -> Value {
        let mut sibling =
            json!({"rfilename": self.path, "size": self.size, "blobId": self.blob_id});
        if let Some(lfs) = &self.lfs {
            sibling["lfs"] =
                json!({"sha256": lfs.sha256, "size": self.size, "pointerSize": lfs.pointer_size});
        }
        sibling
    }

    fn tree_json(&self) -> Value {
        let mut entry =
            json!({"type": "file", "oid": self.blob_id, "size": self.size, "path": self.path});
        if let Some(lfs) = &self.lfs {
            entry["lfs"] =
                json!({"oid": lfs.sha256, "size": self.size, "pointerSize": lfs.pointer_size});
        }
        entry
    }
}

pub(super) struct Commit {
    pub sha: String,
    pub files: BTreeMap<String, Arc<HubFile>>,
    published_at: u64,
    config: Option<Value>,
    /// Parameter count per dtype, from the safetensors headers.
    parameters: BTreeMap<String, u64>,
}

pub(super) struct Repo {
    pub id: String,
    pub card: ModelCard,
    created_at: u64,
    commits: Vec<Arc<Commit>>,
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

    /// An entry of `GET /api/models`; `full` adds siblings, storage and parameter counts.
    pub fn summary_json(&self, full: bool, config: bool) -> Value {
        let head = self.head();
        let mut model = json!({
            "_id": object_id(&self.id),
            "id": self.id,
            "modelId": self.id,
            "author": self.author(),
            "downloads": self.card.downloads,
            "likes": self.card.likes,
            "tags": self.tags(),
            "lastModified": iso8601(head.published_at),
            "createdAt": iso8601(self.created_at),
            "library_name": "mlx",
            "pipeline_tag": "text-generation",
            "private": false,
            "gated": if self.card.gated { json!("auto") } else { json!(false) },
            "sha": head.sha,
        });
        if full {
            model["siblings"] = head.files.values().map(|f| f.sibling_json()).collect();
            model["usedStorage"] = json!(head.used_storage());
            if let Some(safetensors) = head.safetensors_json() {
                model["safetensors"] = safetensors;
            }
        }
        if config && let Some(config) = &head.config {
            model["config"] = config.clone();
        }
        model
    }

    /// `GET /api/models/{repo}[/revision/{rev}]`.
    pub fn info_json(&self, commit: &Commit) -> Value {
        let mut model = self.summary_json(false, false);
        model["sha"] = json!(commit.sha);
        model["lastModified"] = json!(iso8601(commit.published_at));
        model["disabled"] = json!(false);
        model["usedStorage"] = json!(commit.used_storage());
        model["siblings"] = commit.files.values().map(|f| f.sibling_json()).collect();
        model["cardData"] = json!({});
        model["spaces"] = json!([]);
        if let Some(config) = &commit.config {
            model["config"] = config.clone();
        }
        if let Some(safetensors) = commit.safetensors_json() {
            model["safetensors"] = safetensors;
        }
        model
    }
}

impl Commit {
    fn used_storage(&self) -> u64 {
        self.files.values().map(|f| f.size).sum()
    }

    fn safetensors_json(&self) -> Option<Value> {
        if self.parameters.is_empty() {
            return None;
        }
        let total: u64 = self.parameters.values().sum();
        Some(json!({"parameters": self.parameters, "total": total}))
    }

    /// `GET /api/models/{repo}/tree/{rev}[/{dir}]`: the entries under `dir` ("" for the root),
    /// all of them when `recursive`, else only its direct children. `None` if `dir` is not a
    /// directory of this commit.
    pub fn tree_json(&self, dir: &str, recursive: bool) -> Option<Vec<Value>> {
        let dir = dir.trim_matches('/');
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut directories = BTreeSet::new();
        let mut files = Vec::new();
        for file in self.files.values() {
            let Some(rest) = file.path.strip_prefix(&prefix) else {
                continue;
            };
            let parts: Vec<&str> = rest.split('/').collect();
            let shown_depth = if recursive { parts.len() - 1 } else { 1 };
            for depth in 1..=shown_depth.min(parts.len() - 1) {
                directories.insert(format!("{prefix}{}", parts[..depth].join("/")));
            }
            if recursive || parts.len() == 1 {
                files.push((file.path.clone(), file.tree_json()));
            }
        }
        if !dir.is_empty() && files.is_empty() && directories.is_empty() {
            return None;
        }
        let mut entries: Vec<(String, Value)> = directories
            .into_iter()
            .map(|path| {
                let oid = sha1_hex(format!("tree {}\n{path}", self.sha).as_bytes());
                let entry = json!({"type": "directory", "oid": oid, "size": 0, "path": path});
                (path, entry)
            })
            .collect();
        entries.extend(files);
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Some(entries.into_iter().map(|(_, entry)| entry).collect())
    }
}

/// Adds a commit with the files of `dir` to `repo_id` (creating the repo); returns its sha.
pub(super) fn publish(
    repos: &mut BTreeMap<String, Repo>,
    repo_id: &str,
    dir: &Path,
    card: ModelCard,
    publish_index: u64,
) -> String {
    let valid = repo_id
        .split_once('/')
        .is_some_and(|(org, name)| !org.is_empty() && !name.is_empty() && !name.contains('/'));
    assert!(valid, "fake hub: repo id {repo_id:?} is not org/name");
    let published_at = FIRST_PUBLISH + 60 * publish_index;
    let repo = repos.entry(repo_id.to_owned()).or_insert_with(|| Repo {
        id: repo_id.to_owned(),
        card: card.clone(),
        created_at: published_at,
        commits: Vec::new(),
    });
    repo.card = card;
    let sha = sha1_hex(format!("{repo_id}\n{}", repo.commits.len() + 1).as_bytes());
    let mut paths = Vec::new();
    walk(dir, dir, &mut paths);
    let mut files = BTreeMap::new();
    let mut parameters = BTreeMap::new();
    let mut config = None;
    for (path, disk) in paths {
        let file = load_file(&path, &disk);
        if path.ends_with(".safetensors") {
            for (dtype, count) in safetensors_parameters(&disk) {
                *parameters.entry(dtype).or_default() += count;
            }
        }
        if path == "config.json"
            && let Content::Memory(bytes) = &file.content
        {
            config = serde_json::from_slice(bytes).ok();
        }
        files.insert(path, Arc::new(file));
    }
    repo.commits.push(Arc::new(Commit {
        sha: sha.clone(),
        files,
        published_at,
        config,
        parameters,
    }));
    sha
}

/// Every regular file under `dir`, as (path relative to `root` with '/', path on disk).
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("fake hub: cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.file_name().is_some_and(|name| name == ".git") {
            continue;
        }
        let metadata = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("fake hub: cannot stat {}: {e}", path.display()));
        if metadata.is_dir() {
            walk(root, &path, out);
        } else if metadata.is_file() {
            let relative = path.strip_prefix(root).expect("under root");
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((parts.join("/"), path));
        }
    }
}

fn load_file(path: &str, disk: &Path) -> HubFile {
    let size = std::fs::metadata(disk).expect("stat file").len();
    let lfs = size >= LFS_MIN_SIZE || LFS_EXTENSIONS.iter().any(|ext| path.ends_with(ext));
    let content = if size <= IN_MEMORY_MAX {
        let bytes = std::fs::read(disk)
            .unwrap_or_else(|e| panic!("fake hub: cannot read {}: {e}", disk.display()));
        Content::Memory(Bytes::from(bytes))
    } else {
        Content::Disk(disk.to_owned())
    };
    if lfs {
        let sha256 = hash_content::<Sha256>(&content);
        let pointer = format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
        );
        HubFile {
            path: path.to_owned(),
            size,
            content,
            blob_id: git_blob_sha1(pointer.as_bytes()),
            lfs: Some(Lfs {
                sha256,
                pointer_size: pointer.len() as u64,
            }),
        }
    } else {
        let mut hasher = Sha1::new();
        hasher.update(format!("blob {size}\0").as_bytes());
        feed(&mut hasher, &content);
        HubFile {
            path: path.to_owned(),
            size,
            content,
            blob_id: hex::encode(hasher.finalize()),
            lfs: None,
        }
    }
}

fn hash_content<D: Digest>(content: &Content) -> String {
    let mut hasher = D::new();
    feed(&mut hasher, content);
    hex::encode(hasher.finalize())
}

fn feed<D: Digest>(hasher: &mut D, content: &Content) {
    match content {
        Content::Memory(bytes) => hasher.update(bytes),
        Content::Disk(path) => {
            let mut file = std::fs::File::open(path).expect("open file to hash");
            let mut buffer = vec![0u8; 1024 * 1024];
            loop {
                let read = file.read(&mut buffer).expect("read file to hash");
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
            }
        }
    }
}

/// Git's blob id: sha1 of `"blob {len}\0"` followed by the content.
pub(super) fn git_blob_sha1(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex::encode(hasher.finalize())
}

fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
}

/// A 24-hex-digit id like the hub's MongoDB `_id`.
fn object_id(repo_id: &str) -> String {
    sha1_hex(format!("_id {repo_id}").as_bytes())[..24].to_owned()
}

/// Element count per dtype of the tensors in a safetensors file (from its JSON header); empty if
/// the header cannot be read.
fn safetensors_parameters(path: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return counts;
    };
    let mut length = [0u8; 8];
    if file.read_exact(&mut length).is_err() {
        return counts;
    }
    let length = u64::from_le_bytes(length);
    if length > 100 * 1024 * 1024 {
        return counts;
    }
    let mut header = vec![0u8; length as usize];
    if file.read_exact(&mut header).is_err() {
        return counts;
    }
    let Ok(Value::Object(tensors)) = serde_json::from_slice::<Value>(&header) else {
        return counts;
    };
    for (name, tensor) in tensors {
        if name == "__metadata__" {
            continue;
        }
        let (Some(dtype), Some(shape)) = (tensor["dtype"].as_str(), tensor["shape"].as_array())
        else {
            continue;
        };
        let count = shape.iter().filter_map(Value::as_u64).product::<u64>();
        *counts.entry(dtype.to_owned()).or_default() += count;
    }
    counts
}

/// `2026-11-20T10:00:00.000Z` for a Unix time.
pub(super) fn iso8601(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let seconds = unix % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_publish_is_at_the_documented_time() {
        assert_eq!(iso8601(FIRST_PUBLISH), "2026-11-20T10:00:00.000Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn git_blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            git_blob_sha1(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }
}
