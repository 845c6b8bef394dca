//! What a downloaded file is checked against before it enters the cache.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// LFS files are named and checked by the sha256 of their content; other files by their git
/// blob id (sha1 of `blob <len>\0` + content), which is also the hub's ETag for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Sha256(String),
    GitBlobSha1(String),
}

impl Expected {
    /// The blob's name in the cache.
    pub fn etag(&self) -> &str {
        match self {
            Self::Sha256(hex) | Self::GitBlobSha1(hex) => hex,
        }
    }

    pub fn hasher(&self, size: u64) -> ContentHasher {
        match self {
            Self::Sha256(_) => ContentHasher::Sha256(Sha256::new()),
            Self::GitBlobSha1(_) => {
                let mut sha1 = Sha1::new();
                sha1.update(format!("blob {size}\0").as_bytes());
                ContentHasher::GitBlobSha1(sha1)
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Sha256(_) => "sha256",
            Self::GitBlobSha1(_) => "git blob sha1",
        }
    }

    /// `Err` names both digests.
    pub fn verify(&self, hasher: ContentHasher) -> Result<(), String> {
        let actual = hasher.finish();
        if actual.eq_ignore_ascii_case(self.etag()) {
            Ok(())
        } else {
            Err(format!(
                "{} mismatch: the hub announced {}, the bytes received hash to {actual}",
                self.name(),
                self.etag()
            ))
        }
    }
}

#[derive(Clone)]
pub enum ContentHasher {
    Sha256(Sha256),
    GitBlobSha1(Sha1),
}

impl ContentHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::GitBlobSha1(h) => h.update(bytes),
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Sha256(h) => hex::encode(h.finalize()),
            Self::GitBlobSha1(h) => hex::encode(h.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_blob_ids_match_git_hash_object() {
        // `printf 'hello\n' | git hash-object --stdin`
        let expected = Expected::GitBlobSha1("ce013625030ba8dba906f756967f9e9ca394464a".into());
        let mut hasher = expected.hasher(6);
        hasher.update(b"hel");
        hasher.update(b"lo\n");
        assert_eq!(expected.verify(hasher), Ok(()));
    }

    #[test]
    fn a_wrong_digest_is_reported_with_both_values() {
        let expected = Expected::Sha256("00".repeat(32));
        let mut hasher = expected.hasher(1);
        hasher.update(b"x");
        let message = expected.verify(hasher).unwrap_err();
        assert!(message.contains("sha256 mismatch"), "{message}");
        assert!(message.contains(&"00".repeat(32)), "{message}");
    }
}
