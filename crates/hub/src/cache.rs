//! The Hugging Face cache layout, shared with Python's `huggingface_hub`:
//!
//! ```text
//! <cache>/models--org--name/refs/main               commit sha the revision resolved to
//! <cache>/models--org--name/blobs/<etag>            content (sha256 for LFS files, git sha1 else)
//! <cache>/models--org--name/blobs/<etag>.incomplete a partial download, resumed with Range
//! <cache>/models--org--name/snapshots/<commit>/<path> -> ../../blobs/<etag>
//! <cache>/.locks/models--org--name/<etag>.lock      held while a blob is written
//! ```
//!
//! `hf-hub` exposes only ref reading/writing and snapshot lookup (its blob paths are private, and
//! it has no scanning, partial-blob or deletion support), so the layout is written out here.
//!
//! Every name that comes from a user or the hub (revisions, commits, etags, file paths) is
//! joined through [`inside`]: a path that would leave its folder is an error, never a file.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::RepoId;
use mlx_manager_core::domain::{CommitSha, Revision};

const INCOMPLETE_SUFFIX: &str = ".incomplete";

/// The root of a hub cache (`HF_HUB_CACHE`, usually `$HF_HOME/hub`).
#[derive(Debug, Clone)]
pub struct HubCache {
    root: PathBuf,
}

impl HubCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn repo(&self, id: &RepoId) -> RepoCache {
        RepoCache {
            dir: self.root.join(id.cache_folder_name()),
            locks: self.root.join(".locks").join(id.cache_folder_name()),
            id: id.clone(),
        }
    }

    /// Every model repository with a folder in the cache, complete or not.
    pub fn repos(&self) -> io::Result<Vec<RepoId>> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut repos: Vec<RepoId> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| RepoId::from_cache_folder_name(&e.file_name().to_string_lossy()))
            .collect();
        repos.sort();
        Ok(repos)
    }

    /// Marks the folder as a cache (as Python does) so backup tools can skip it.
    pub fn ensure_root(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        let tag = self.root.join("CACHEDIR.TAG");
        if !tag.exists() {
            std::fs::write(
                tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n\
                 # This file is a cache directory tag created by MLX Manager.\n",
            )?;
        }
        Ok(())
    }
}

/// One repository's folder in the cache.
#[derive(Debug, Clone)]
pub struct RepoCache {
    id: RepoId,
    dir: PathBuf,
    locks: PathBuf,
}

impl RepoCache {
    pub fn id(&self) -> &RepoId {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn exists(&self) -> bool {
        self.dir.is_dir()
    }

    /// `blobs/<etag>`; an etag that is not a plain file name is refused.
    pub fn blob_path(&self, etag: &str) -> io::Result<PathBuf> {
        inside_one(&self.dir.join("blobs"), etag)
    }

    /// `blobs/<etag>.incomplete`, a partial download.
    pub fn incomplete_path(&self, etag: &str) -> io::Result<PathBuf> {
        inside_one(
            &self.dir.join("blobs"),
            &format!("{etag}{INCOMPLETE_SUFFIX}"),
        )
    }

    /// `<cache>/.locks/models--org--name/<etag>.lock`.
    pub fn lock_path(&self, etag: &str) -> io::Result<PathBuf> {
        inside_one(&self.locks, &format!("{etag}.lock"))
    }

    pub fn snapshot_dir(&self, commit: &CommitSha) -> PathBuf {
        self.dir.join("snapshots").join(commit.as_str())
    }

    /// The commit a ref (`main`, a tag, a branch) points to; a ref holding anything but a
    /// commit sha counts as missing.
    pub fn read_ref(&self, name: &Revision) -> Option<CommitSha> {
        let path = inside(&self.dir.join("refs"), name.as_str()).ok()?;
        let raw = std::fs::read_to_string(path).ok()?;
        CommitSha::parse(raw.trim()).ok()
    }

    /// Points a ref at a commit, atomically (write then rename), without a trailing newline.
    pub fn write_ref(&self, name: &Revision, commit: &CommitSha) -> io::Result<()> {
        let path = inside(&self.dir.join("refs"), name.as_str())?;
        let parent = path.parent().expect("ref path has a parent");
        std::fs::create_dir_all(parent)?;
        let temp = parent.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
        std::fs::write(&temp, commit.as_str())?;
        std::fs::rename(temp, path)
    }

    /// Links `snapshots/<commit>/<path>` to the blob, relatively, replacing an older link.
    pub fn link_snapshot_file(&self, commit: &CommitSha, path: &str, etag: &str) -> io::Result<()> {
        let link = inside(&self.snapshot_dir(commit), path)?;
        // The link's target must be a blob of this repository, nothing else.
        inside_one(Path::new("blobs"), etag)?;
        let parent = link.parent().expect("snapshot file has a parent");
        std::fs::create_dir_all(parent)?;
        let depth = path.matches('/').count();
        let target = PathBuf::from("../".repeat(depth + 2))
            .join("blobs")
            .join(etag);
        match std::fs::symlink_metadata(&link) {
            Ok(_) => std::fs::remove_file(&link)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        symlink(&target, &link)
    }

    /// Blob names linked from any snapshot (what must survive deleting something else).
    pub fn linked_blobs(&self) -> HashSet<String> {
        let mut linked = HashSet::new();
        let snapshots = self.dir.join("snapshots");
        for file in walk_files(&snapshots) {
            if let Ok(target) = std::fs::read_link(&file)
                && let Some(name) = target.file_name()
            {
                linked.insert(name.to_string_lossy().into_owned());
            }
        }
        linked
    }

    /// Partial downloads (`blobs/*.incomplete`) with their sizes.
    pub fn incomplete_blobs(&self) -> Vec<(PathBuf, u64)> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("blobs")) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(INCOMPLETE_SUFFIX))
            .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
            .collect()
    }

    /// Bytes of every blob, complete or partial (what the repository costs on disk).
    pub fn size_on_disk(&self) -> u64 {
        let Ok(entries) = std::fs::read_dir(self.dir.join("blobs")) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum()
    }

    /// Removes the given blobs (complete or partial) unless a snapshot links them; then removes
    /// the repository folder if nothing useful is left in it. Returns the bytes freed.
    pub fn remove_unlinked_blobs(&self, etags: &[String]) -> io::Result<u64> {
        let linked = self.linked_blobs();
        let mut freed = 0;
        for etag in etags {
            let mut candidates = vec![self.incomplete_path(etag)];
            if !linked.contains(etag) {
                candidates.push(self.blob_path(etag));
            }
            for path in candidates.into_iter().filter_map(Result::ok) {
                if let Ok(meta) = std::fs::metadata(&path) {
                    std::fs::remove_file(&path)?;
                    freed += meta.len();
                }
            }
        }
        let has_snapshots = std::fs::read_dir(self.dir.join("snapshots"))
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        let has_blobs = std::fs::read_dir(self.dir.join("blobs"))
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if !has_snapshots && !has_blobs {
            self.remove_all()?;
        }
        Ok(freed)
    }

    /// Removes partial blobs and blobs no snapshot links (what a cancelled download leaves).
    pub fn remove_unused_data(&self) -> io::Result<u64> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("blobs")) else {
            return Ok(0);
        };
        let etags: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(INCOMPLETE_SUFFIX)
                    .map(String::from)
                    .unwrap_or(name)
            })
            .collect();
        self.remove_unlinked_blobs(&etags)
    }

    /// Deletes the whole repository folder (every snapshot and blob) and its lock folder.
    pub fn remove_all(&self) -> io::Result<()> {
        for dir in [&self.dir, &self.locks] {
            match std::fs::remove_dir_all(dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

/// `base/relative` (`relative` separated by `/`), refused unless every segment is a plain name:
/// not empty, no `.` or `..`, no root or drive, no `\` or control character. So the path stays
/// under `base` whatever the name came from.
pub(crate) fn inside(base: &Path, relative: &str) -> io::Result<PathBuf> {
    let refused = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{relative:?} would leave {}", base.display()),
        )
    };
    let mut path = base.to_path_buf();
    for segment in relative.split('/') {
        let mut components = Path::new(segment).components();
        let plain = matches!(components.next(), Some(Component::Normal(name)) if name == OsStr::new(segment))
            && components.next().is_none();
        if !plain || segment.contains('\\') || segment.chars().any(char::is_control) {
            return Err(refused());
        }
        path.push(segment);
    }
    if !path.starts_with(base) {
        return Err(refused());
    }
    Ok(path)
}

/// `base/name` for a single file name (no `/` at all).
fn inside_one(base: &Path, name: &str) -> io::Result<PathBuf> {
    if name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file name"),
        ));
    }
    inside(base, name)
}

/// Every non-directory entry under `dir` (symlinks included, not followed).
pub(crate) fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(_) => files.push(entry.path()),
                Err(_) => {}
            }
        }
    }
    files.sort();
    files
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    // Without symlink rights (Windows), Python copies the blob; do the same.
    let blob = link.parent().expect("link has a parent").join(target);
    std::fs::copy(blob, link).map(|_| ())
}

#[cfg(test)]
mod tests;
