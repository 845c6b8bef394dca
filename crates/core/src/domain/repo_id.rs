//! `RepoId`: a Hugging Face model repository name, `org/name`, parsed once at the edge.

use std::fmt;

use crate::CoreError;

const MAX_LEN: usize = 96;
/// Ignored around an id (as the API's patterns state).
const SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// A validated `org/name` repository id, safe to use in URLs and cache folder names.
///
/// Each part: letters, digits, `-`, `_` and `.`, not starting or ending with `-` or `.`, without
/// `--` or `..`; at most 96 bytes in all. The API's schemas state the same rule as patterns
/// (`DownloadRequest.model_id`, the `{org}`/`{name}` path parameters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId(String);

impl RepoId {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let invalid = |message: &str| CoreError::Invalid {
            field: "model_id",
            message: format!("{raw:?} {message}"),
        };
        if raw.len() > MAX_LEN {
            return Err(invalid("is longer than 96 characters"));
        }
        let id = raw.trim_matches(SPACE);
        let (org, name) = id
            .split_once('/')
            .ok_or_else(|| invalid("is not of the form org/name"))?;
        for part in [org, name] {
            check_part(part).map_err(invalid)?;
        }
        Ok(Self(id.to_string()))
    }

    /// The id from its two parts (e.g. the path parameters `{org}/{name}`), each checked on
    /// its own and named in the error (`org`, `name`).
    pub fn from_parts(org: &str, name: &str) -> Result<Self, CoreError> {
        let mut parts = [""; 2];
        for (i, (field, raw)) in [("org", org), ("name", name)].into_iter().enumerate() {
            let invalid = |message: &str| CoreError::Invalid {
                field,
                message: format!("{raw:?} {message}"),
            };
            if raw.len() > MAX_LEN {
                return Err(invalid("is longer than 96 characters"));
            }
            parts[i] = raw.trim_matches(SPACE);
            check_part(parts[i]).map_err(invalid)?;
        }
        Ok(Self(parts.join("/")))
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

/// One part of an id; the error says what is wrong.
fn check_part(part: &str) -> Result<(), &'static str> {
    if part.is_empty() {
        return Err("is not of the form org/name");
    }
    if !part
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("may contain only letters, digits, '-', '_' and '.' around one '/'");
    }
    if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
        return Err("parts must not start or end with '-' or '.'");
    }
    if part.contains("--") || part.contains("..") {
        return Err("must not contain '--' or '..'");
    }
    Ok(())
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
            "\u{a0}org/name",
            "org/name\u{1c}",
        ] {
            assert!(RepoId::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn the_parts_of_a_path_are_checked_each_and_named() {
        assert_eq!(
            RepoId::from_parts(" org", "name\n").unwrap(),
            RepoId::parse("org/name").unwrap()
        );
        let long = "a".repeat(90);
        assert_eq!(RepoId::from_parts(&long, &long).unwrap().name(), long);
        for (org, name, field) in [
            ("..", "x", "org"),
            ("org", "a/b", "name"),
            ("o", "", "name"),
        ] {
            match RepoId::from_parts(org, name) {
                Err(crate::CoreError::Invalid { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{org}/{name}: {other:?}"),
            }
        }
    }
}
