//! `RepoId`: a Hugging Face model repository name, `org/name`, parsed once at the edge.

use std::fmt;

use crate::CoreError;

const MAX_LEN: usize = 96;

/// A validated `org/name` repository id, safe to use in URLs and cache folder names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId(String);

impl RepoId {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let raw = raw.trim();
        let invalid = |message: &str| CoreError::Invalid {
            field: "model_id",
            message: format!("{raw:?} {message}"),
        };
        if raw.len() > MAX_LEN {
            return Err(invalid("is longer than 96 characters"));
        }
        let (org, name) = raw
            .split_once('/')
            .ok_or_else(|| invalid("is not of the form org/name"))?;
        for part in [org, name] {
            if part.is_empty() {
                return Err(invalid("is not of the form org/name"));
            }
            if !part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(invalid(
                    "may contain only letters, digits, '-', '_' and '.' around one '/'",
                ));
            }
            if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
                return Err(invalid("parts must not start or end with '-' or '.'"));
            }
            if part.contains("--") || part.contains("..") {
                return Err(invalid("must not contain '--' or '..'"));
            }
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn org(&self) -> &str {
        self.0.split_once('/').map(|(org, _)| org).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.0.split_once('/').map(|(_, name)| name).unwrap_or("")
    }

    /// The cache folder name Python's `huggingface_hub` uses: `models--org--name`.
    pub fn cache_folder_name(&self) -> String {
        format!("models--{}", self.0.replace('/', "--"))
    }

    /// The inverse of [`Self::cache_folder_name`], for folders found in the cache.
    pub fn from_cache_folder_name(folder: &str) -> Option<Self> {
        let rest = folder.strip_prefix("models--")?;
        let (org, name) = rest.split_once("--")?;
        Self::parse(&format!("{org}/{name}")).ok()
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::RepoId;

    #[test]
    fn org_and_name_are_accepted_and_map_to_the_python_cache_folder() {
        let id = RepoId::parse(" mlx-community/Qwen3-0.6B-4bit ").unwrap();
        assert_eq!(id.as_str(), "mlx-community/Qwen3-0.6B-4bit");
        assert_eq!(
            id.cache_folder_name(),
            "models--mlx-community--Qwen3-0.6B-4bit"
        );
        assert_eq!(
            RepoId::from_cache_folder_name("models--mlx-community--Qwen3-0.6B-4bit"),
            Some(id)
        );
    }

    #[test]
    fn names_that_could_escape_a_path_or_url_are_refused() {
        for bad in [
            "noslash",
            "a/b/c",
            "../etc",
            "org/..",
            "org/na me",
            "org/name?x=1",
            "org/-name",
            "org/a--b",
            "/name",
            "org/",
        ] {
            assert!(RepoId::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
