//! `Revision` (what a user asks the hub for: a branch, tag or commit) and `CommitSha` (what the
//! hub answers), parsed once at the edge. Both end up as file names in the hub cache
//! (`refs/<revision>`, `snapshots/<commit>`), so neither may ever leave the folder it names.

use std::fmt;

use crate::CoreError;

/// Longer revisions are refused (git has no limit; file names do).
const MAX_LEN: usize = 255;
const COMMIT_LEN: usize = 40;
const DEFAULT_BRANCH: &str = "main";

/// A branch, tag or commit (`main`, `v1.0`, `refs/pr/1`, a 40-hex sha) that is safe as a git
/// ref name and as a path under `refs/`.
///
/// `git check-ref-format`'s rules on a conservative alphabet: letters, digits, `_`, `-`, `.` and
/// `/` only (so no control characters, spaces, `\`, `@{`, `~^:?*[`); segments separated by single
/// `/`, none empty, none starting or ending with `.`, none ending in `.lock`, no `..`. Spaces,
/// tabs and line breaks around it are ignored. The API's schema states the same rule as a
/// pattern (`DownloadRequest.revision`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision(String);

impl Revision {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let invalid = |message: &str| CoreError::Invalid {
            field: "revision",
            message: format!("{:?} {message}", truncated(raw)),
        };
        if raw.len() > MAX_LEN {
            return Err(invalid("is longer than 255 bytes"));
        }
        let revision = raw.trim_matches([' ', '\t', '\n', '\r']);
        if revision.is_empty() {
            return Err(invalid("is empty"));
        }
        if let Some(c) = revision
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
        {
            return Err(invalid(&format!(
                "contains {c:?}; a revision may contain only letters, digits, '_', '-', '.' and '/'"
            )));
        }
        for segment in revision.split('/') {
            if segment.is_empty() {
                return Err(invalid(
                    "has an empty segment (a leading, trailing or doubled '/')",
                ));
            }
            if segment.starts_with('.') || segment.ends_with('.') {
                return Err(invalid("has a segment starting or ending with '.'"));
            }
            if segment.contains("..") {
                return Err(invalid("contains \"..\""));
            }
            if segment.ends_with(".lock") {
                return Err(invalid("has a segment ending in \".lock\""));
            }
        }
        Ok(Self(revision.to_string()))
    }

    /// `None` means the default branch, `main`.
    pub fn parse_or_default(raw: Option<&str>) -> Result<Self, CoreError> {
        raw.map_or_else(|| Ok(Self::main()), Self::parse)
    }

    /// The default branch.
    pub fn main() -> Self {
        Self(DEFAULT_BRANCH.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The revision is a full commit sha (nothing to resolve, no ref of its own).
    pub fn is_commit(&self) -> bool {
        CommitSha::parse(&self.0).is_ok()
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Default for Revision {
    fn default() -> Self {
        Self::main()
    }
}

/// A full git commit sha as the hub answers it: exactly 40 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitSha(String);

impl CommitSha {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let valid = raw.len() == COMMIT_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(CoreError::Invalid {
                field: "commit",
                message: format!(
                    "{:?} is not a commit sha (40 lowercase hex characters)",
                    truncated(raw)
                ),
            });
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 characters, as people quote commits.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// At most 80 characters of a refused value, for messages that may be logged.
fn truncated(raw: &str) -> String {
    match raw.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &raw[..end]),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{CommitSha, Revision};

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn branches_tags_pull_requests_and_commits_are_accepted() {
        for good in [
            "main",
            "v1.0",
            "refs/pr/1",
            "feature/x-y_z",
            "release-2.1.3",
            SHA,
        ] {
            assert_eq!(Revision::parse(good).unwrap().as_str(), good);
        }
        assert!(Revision::parse(SHA).unwrap().is_commit());
        assert!(!Revision::parse("main").unwrap().is_commit());
        assert_eq!(Revision::parse(" main\r\n").unwrap().as_str(), "main");
        assert_eq!(Revision::parse("lock").unwrap().as_str(), "lock");
        assert_eq!(Revision::parse("a.lockx").unwrap().as_str(), "a.lockx");
        assert_eq!(Revision::parse_or_default(None).unwrap(), Revision::main());
        assert!(Revision::parse_or_default(Some("  ")).is_err());
    }

    #[test]
    fn revisions_that_could_leave_the_refs_folder_are_refused() {
        let long = "a".repeat(256);
        for bad in [
            "",
            "..",
            ".",
            "../../../../tmp/x",
            "a/../b",
            "a/./b",
            "/abs",
            "trailing/",
            "a//b",
            "a\\b",
            "..\\x",
            "a\u{0}b",
            "a\nb",
            "a\u{7f}b",
            "a b",
            "a@{1}",
            "@",
            "x.lock",
            "a/b.lock/c",
            ".hidden",
            "a/.b",
            "end.",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[b",
            "caf\u{e9}",
            "a+b",
            "a/b.",
            "\u{a0}main",
            "main\u{1c}",
            long.as_str(),
        ] {
            let error = Revision::parse(bad).expect_err(bad);
            assert!(error.to_string().contains("revision"), "{error}");
        }
    }

    #[test]
    fn commits_are_exactly_40_lowercase_hex_characters() {
        assert_eq!(CommitSha::parse(SHA).unwrap().as_str(), SHA);
        assert_eq!(CommitSha::parse(SHA).unwrap().short(), "0123456789ab");
        for bad in [
            "",
            "../../x",
            &SHA[..39],
            &format!("{SHA}0"),
            &SHA.to_uppercase(),
            "g123456789abcdef0123456789abcdef01234567",
            "0123456789abcdef0123456789abcdef0123456/",
        ] {
            assert!(CommitSha::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
