//! Publishing a local directory as a new commit of a repository: reading its files, hashing them as
//! git and git-lfs do, and counting the parameters of its safetensors files.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;

use super::ModelCard;
use super::repo::{Commit, Content, HubFile, Lfs, Repo};

/// Files this big, or with an LFS extension, are LFS files (302 to the CDN).
const LFS_MIN_SIZE: u64 = 1024 * 1024;
const LFS_EXTENSIONS: [&str; 3] = [".safetensors", ".gguf", ".bin"];
/// Files up to this size are kept in memory at publish time; bigger ones are read from disk.
const IN_MEMORY_MAX: u64 = 16 * 1024 * 1024;
/// The first publish is at 2026-11-20T10:00:00Z; each later one a minute after the previous.
const FIRST_PUBLISH: u64 = 1_795_168_800;

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

pub(super) fn sha1_hex(bytes: &[u8]) -> String {
    hex::encode(Sha1::digest(bytes))
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

#[cfg(test)]
mod tests {
    use super::super::repo_json::iso8601;
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
