//! The JSON the hub API gives about repositories, commits and files.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::publish::sha1_hex;
use super::repo::{Commit, HubFile, Repo};

impl HubFile {
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

impl Repo {
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

/// A 24-hex-digit id like the hub's MongoDB `_id`.
fn object_id(repo_id: &str) -> String {
    sha1_hex(format!("_id {repo_id}").as_bytes())[..24].to_owned()
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
