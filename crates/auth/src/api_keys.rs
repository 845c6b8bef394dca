//! Programmatic API keys: `mlxm_` followed by 43 base62 characters (256 random bits).
//!
//! Only a hash is stored. Because keys are long random strings, not human-chosen passwords,
//! a single fast SHA-256 is the right hash: there is nothing to brute-force, and a fast hash
//! lets every API request be checked by an indexed lookup instead of a slow argon2 run.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AuthError, random};

/// Marks our keys so secret scanners and humans can recognise them.
pub const API_KEY_PREFIX: &str = "mlxm_";
/// 43 base62 characters carry 43 × log2(62) ≈ 256 bits.
const RANDOM_CHARS: usize = 43;
/// Characters of the key shown in lists (prefix + 8): enough to tell keys apart, useless
/// for guessing the rest.
const DISPLAY_CHARS: usize = API_KEY_PREFIX.len() + 8;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new key: show `plaintext` to the user once, store `hash` and `display_prefix`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub plaintext: String,
    pub display_prefix: String,
    pub hash: String,
}

impl std::fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiKey")
            .field("plaintext", &"[redacted]")
            .field("display_prefix", &self.display_prefix)
            .field("hash", &self.hash)
            .finish()
    }
}

/// Generates a key from the OS random number generator.
///
/// # Panics
/// If the operating system cannot provide randomness, which leaves nothing safe to do;
/// [`try_generate_api_key`] reports that as an error instead.
pub fn generate_api_key() -> NewApiKey {
    try_generate_api_key().expect("the OS random number generator failed")
}

/// [`generate_api_key`], with a failing random number generator as an error.
pub fn try_generate_api_key() -> Result<NewApiKey, AuthError> {
    let mut plaintext = String::with_capacity(API_KEY_PREFIX.len() + RANDOM_CHARS);
    plaintext.push_str(API_KEY_PREFIX);
    let mut pool = Zeroizing::new([0u8; 64]);
    while plaintext.len() < API_KEY_PREFIX.len() + RANDOM_CHARS {
        random::fill(&mut *pool)?;
        // Rejection sampling: 248 = 4 × 62, so bytes below it map onto base62 without bias.
        for &byte in pool.iter().filter(|&&b| b < 248) {
            if plaintext.len() == API_KEY_PREFIX.len() + RANDOM_CHARS {
                break;
            }
            plaintext.push(char::from(BASE62[usize::from(byte % 62)]));
        }
    }
    Ok(NewApiKey {
        display_prefix: plaintext[..DISPLAY_CHARS].to_owned(),
        hash: hash_api_key(&plaintext),
        plaintext,
    })
}

/// The stored form of a key: lowercase hex SHA-256 of the whole plaintext.
pub fn hash_api_key(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Whether `s` has the shape of one of our keys (say, to tell a key from a JWT in an
/// `Authorization` header). Says nothing about whether the key exists.
pub fn looks_like_api_key(s: &str) -> bool {
    s.strip_prefix(API_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn key_has_prefix_and_43_base62_characters() {
        let key = generate_api_key();
        assert!(key.plaintext.starts_with("mlxm_"));
        assert_eq!(key.plaintext.len(), 48);
        assert!(
            key.plaintext[5..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert!(looks_like_api_key(&key.plaintext));
    }

    #[test]
    fn a_thousand_keys_are_all_different() {
        let keys: HashSet<String> = (0..1000).map(|_| generate_api_key().plaintext).collect();
        assert_eq!(keys.len(), 1000);
    }

    #[test]
    fn keys_carry_at_least_128_bits_and_use_the_whole_alphabet() {
        assert!(RANDOM_CHARS as f64 * 62f64.log2() >= 256.0);
        let mut seen = HashSet::new();
        for _ in 0..200 {
            seen.extend(generate_api_key().plaintext[5..].bytes());
        }
        assert_eq!(seen.len(), 62, "every base62 character shows up");
    }

    #[test]
    fn characters_are_spread_evenly() {
        // 50 000 characters: each of the 62 is expected ~806 times; bias from a plain
        // `byte % 62` would push the first 8 characters to ~1 040.
        let mut counts = [0usize; 256];
        for _ in 0..1163 {
            for b in generate_api_key().plaintext[5..].bytes() {
                counts[usize::from(b)] += 1;
            }
        }
        for &c in BASE62 {
            let n = counts[usize::from(c)];
            assert!((650..=960).contains(&n), "{} seen {n} times", char::from(c));
        }
    }

    #[test]
    fn display_prefix_is_the_first_13_characters() {
        let key = generate_api_key();
        assert_eq!(key.display_prefix.len(), 13);
        assert!(key.plaintext.starts_with(&key.display_prefix));
        assert!(key.display_prefix.starts_with(API_KEY_PREFIX));
    }

    #[test]
    fn hash_is_sha256_hex_and_stable() {
        let key = generate_api_key();
        assert_eq!(key.hash, hash_api_key(&key.plaintext));
        assert_eq!(key.hash.len(), 64);
        assert!(
            key.hash
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn different_keys_have_different_hashes() {
        let (a, b) = (generate_api_key(), generate_api_key());
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn fallible_generator_makes_the_same_kind_of_key() {
        let key = try_generate_api_key().unwrap();
        assert!(looks_like_api_key(&key.plaintext));
        assert_eq!(key.hash, hash_api_key(&key.plaintext));
    }

    #[test]
    fn debug_hides_the_plaintext() {
        let key = generate_api_key();
        assert!(!format!("{key:?}").contains(&key.plaintext));
    }

    #[test]
    fn shape_check_rejects_near_misses() {
        let key = generate_api_key().plaintext;
        assert!(!looks_like_api_key(""));
        assert!(!looks_like_api_key("mlxm_"));
        assert!(!looks_like_api_key(&key[..key.len() - 1]));
        assert!(!looks_like_api_key(&format!("{key}x")));
        assert!(!looks_like_api_key(&key.replacen("mlxm_", "mlxx_", 1)));
        assert!(!looks_like_api_key(&format!("mlxm_{}", "-".repeat(43))));
        assert!(!looks_like_api_key(&format!("mlxm_{}é", "a".repeat(41))));
        assert!(!looks_like_api_key("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }
}
