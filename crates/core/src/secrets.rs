//! Secrets at rest: sealed with ChaCha20-Poly1305 under a key kept in the data directory (mode
//! 0600), so a copy of the database alone reveals nothing. Each secret's name is bound in as
//! associated data: a sealed value cannot be moved to another name.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use secrecy::{ExposeSecret, SecretString};

use crate::CoreError;
use crate::db::Database;
use crate::db::repositories::{SealedSecret, StoredSecretRepository};

/// The key's file in the data directory.
pub const KEY_FILE_NAME: &str = "secrets.key";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

fn io_error(context: String) -> impl FnOnce(io::Error) -> CoreError {
    move |source| CoreError::Io { context, source }
}

#[derive(Clone)]
pub struct SecretVault {
    repository: StoredSecretRepository,
    key_path: PathBuf,
}

impl SecretVault {
    pub fn new(db: Database, data_dir: &Path) -> Self {
        Self {
            repository: StoredSecretRepository::new(db),
            key_path: data_dir.join(KEY_FILE_NAME),
        }
    }

    /// The secret stored under `name`, if any. A value that does not open with this data
    /// directory's key (the key file was replaced or deleted) is an error naming the file.
    pub async fn get(&self, name: &str) -> Result<Option<SecretString>, CoreError> {
        let Some(sealed) = self.repository.get(name).await? else {
            return Ok(None);
        };
        let unreadable = || {
            CoreError::CorruptRecord(format!(
                "the stored {name} cannot be decrypted with {}; store it again",
                self.key_path.display()
            ))
        };
        let Some(key) = self.read_key()? else {
            return Err(unreadable());
        };
        let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(sealed.nonce.as_slice()) else {
            return Err(unreadable());
        };
        let plain = cipher(&key)
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        let text = String::from_utf8(plain).map_err(|_| unreadable())?;
        Ok(Some(SecretString::from(text)))
    }

    /// Seals `secret` under `name` (creating the key on first use).
    pub async fn put(
        &self,
        name: &str,
        secret: &SecretString,
        by: Option<i32>,
    ) -> Result<(), CoreError> {
        let key = match self.read_key()? {
            Some(key) => key,
            None => self.create_key()?,
        };
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| CoreError::Io {
            context: "draw a nonce".into(),
            source: io::Error::other(e.to_string()),
        })?;
        let ciphertext = cipher(&key)
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| CoreError::CorruptRecord("cannot seal a secret".into()))?;
        self.repository
            .put(
                name,
                SealedSecret {
                    nonce: nonce.to_vec(),
                    ciphertext,
                },
                by,
            )
            .await
    }

    /// Returns whether there was one.
    pub async fn delete(&self, name: &str) -> Result<bool, CoreError> {
        self.repository.delete(name).await
    }

    fn read_key(&self) -> Result<Option<[u8; KEY_LEN]>, CoreError> {
        let shown = self.key_path.display().to_string();
        let file = match fs::File::open(&self.key_path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(format!("open {shown}"))(e)),
        };
        let meta = file.metadata().map_err(io_error(format!("stat {shown}")))?;
        if loose_mode(&meta) {
            return Err(CoreError::InvalidSetting {
                key: "data_dir".into(),
                message: format!("{shown} may be read by other users; run `chmod 600 {shown}`"),
            });
        }
        let mut text = String::new();
        file.take(256)
            .read_to_string(&mut text)
            .map_err(io_error(format!("read {shown}")))?;
        let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == KEY_LEN);
        match bytes {
            Some(bytes) => Ok(Some(bytes.try_into().expect("length checked"))),
            None => Err(CoreError::CorruptRecord(format!(
                "{shown} does not hold a key"
            ))),
        }
    }

    /// Writes a new key, readable by this user only; if another process wrote one meanwhile,
    /// theirs is used.
    fn create_key(&self) -> Result<[u8; KEY_LEN], CoreError> {
        let shown = self.key_path.display().to_string();
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| CoreError::Io {
            context: "draw a key".into(),
            source: io::Error::other(e.to_string()),
        })?;
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&self.key_path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io_error(format!("write {shown}")))?;
                Ok(key)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => self
                .read_key()?
                .ok_or_else(|| CoreError::CorruptRecord(format!("{shown} vanished"))),
            Err(e) => Err(io_error(format!("create {shown}"))(e)),
        }
    }
}

fn cipher(key: &[u8; KEY_LEN]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&Key::from(*key))
}

fn loose_mode(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o077 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn vault_in(dir: &Path) -> SecretVault {
        let url = crate::Settings::default_database_url(dir);
        let db = Database::connect(&url.into()).await.unwrap();
        SecretVault::new(db, dir)
    }

    #[tokio::test]
    async fn a_secret_round_trips_sealed_and_only_under_its_own_name_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let vault = vault_in(dir.path()).await;
        assert!(vault.get("token").await.unwrap().is_none());
        vault
            .put("token", &SecretString::from("hf_abc"), None)
            .await
            .unwrap();
        let read = vault.get("token").await.unwrap().unwrap();
        assert_eq!(read.expose_secret(), "hf_abc");

        // Moved to another name, the sealed value does not open (the name is authenticated).
        let sealed = vault.repository.get("token").await.unwrap().unwrap();
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"hf_abc"));
        vault.repository.put("other", sealed, None).await.unwrap();
        assert!(matches!(
            vault.get("other").await,
            Err(CoreError::CorruptRecord(_))
        ));

        // With another key, it does not open either; the error names the key file.
        fs::remove_file(dir.path().join(KEY_FILE_NAME)).unwrap();
        vault.create_key().unwrap();
        let error = vault.get("token").await.unwrap_err().to_string();
        assert!(error.contains(KEY_FILE_NAME), "{error}");
        assert!(vault.delete("token").await.unwrap());
        assert!(vault.get("token").await.unwrap().is_none());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_key_is_private_and_a_loose_key_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let vault = vault_in(dir.path()).await;
        vault
            .put("token", &SecretString::from("hf_abc"), None)
            .await
            .unwrap();
        let key = dir.path().join(KEY_FILE_NAME);
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let error = vault.get("token").await.unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }
}
