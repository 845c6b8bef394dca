//! The one-time token that claims the first admin account when the server listens beyond
//! loopback (the Jupyter/Grafana pattern): whoever reaches a fresh install first over the
//! network must not become its administrator. It is printed at startup, kept owner-only in the
//! data directory until the first admin exists, and compared in constant time.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::AuthError;
use crate::random::random_bytes;

pub const SETUP_TOKEN_FILE: &str = "setup-token";

pub struct SetupToken {
    token: SecretString,
    path: PathBuf,
}

impl SetupToken {
    /// The token in `<data_dir>/setup-token`, else a new one written there (mode 0600).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, AuthError> {
        let path = data_dir.join(SETUP_TOKEN_FILE);
        let existing = fs::read_to_string(&path)
            .ok()
            .map(|raw| raw.trim().to_string())
            .filter(|token| token.len() >= 32);
        let token = match existing {
            Some(token) => token,
            None => {
                let token = hex::encode(random_bytes::<24>()?);
                write_private(&path, token.as_bytes())
                    .map_err(|e| AuthError::io(format!("writing {}", path.display()), e))?;
                token
            }
        };
        Ok(Self {
            token: SecretString::from(token),
            path,
        })
    }

    /// Removes a leftover token file (the first admin exists).
    pub fn discard_file(data_dir: &Path) {
        let _ = fs::remove_file(data_dir.join(SETUP_TOKEN_FILE));
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn expose(&self) -> &str {
        self.token.expose_secret()
    }

    /// Whether `given` is the token, in time independent of where they differ.
    pub fn matches(&self, given: &str) -> bool {
        let expected = self.token.expose_secret().as_bytes();
        let given = given.trim().as_bytes();
        expected.len() == given.len()
            && expected
                .iter()
                .zip(given)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }

    /// The token has served its purpose.
    pub fn consume(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_kept_across_restarts_until_consumed() {
        let dir = tempfile::tempdir().unwrap();
        let first = SetupToken::load_or_create(dir.path()).unwrap();
        assert_eq!(first.expose().len(), 48);
        let again = SetupToken::load_or_create(dir.path()).unwrap();
        assert_eq!(first.expose(), again.expose());
        assert!(again.matches(first.expose()) && again.matches(&format!(" {} ", first.expose())));
        assert!(!again.matches("") && !again.matches(&first.expose()[1..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(first.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        again.consume();
        let fresh = SetupToken::load_or_create(dir.path()).unwrap();
        assert_ne!(fresh.expose(), first.expose());
    }
}
