//! The key that signs access tokens: from `MLX_MANAGER_JWT_SECRET` when set (several
//! instances behind a load balancer must share it), otherwise generated once and kept in
//! `<data dir>/jwt-secret` so tokens survive restarts.
//!
//! The file holds 32 random bytes as 64 hex characters and a newline. An existing file that is
//! readable or writable by group or others, or that holds fewer than 32 bytes, is **refused**
//! with an error that says how to fix it: it is never silently repaired or replaced, because a
//! world-readable secret may already have leaked (tightening the mode would hide that) and
//! replacing a short one would sign every user out without anyone noticing why.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::{AuthError, random};

/// HS256 needs a key at least as long as its 256-bit output (RFC 7518 §3.2).
pub const MIN_SECRET_LEN: usize = 32;
/// Where the generated secret lives inside the data directory.
pub const SECRET_FILE_NAME: &str = "jwt-secret";
/// The environment variable the caller reads and passes as `from_env`.
pub const SECRET_ENV_VAR: &str = "MLX_MANAGER_JWT_SECRET";
/// A well-formed file is 65 bytes; anything much larger is not ours.
const MAX_FILE_LEN: u64 = 4096;

/// Returns the signing secret: `from_env` when given, else the stored one, else a new one.
pub fn load_or_create_jwt_secret(
    data_dir: &Path,
    from_env: Option<&str>,
) -> Result<SecretBox<Vec<u8>>, AuthError> {
    if let Some(value) = from_env {
        if value.len() < MIN_SECRET_LEN {
            return Err(AuthError::SecretTooShort {
                what: SECRET_ENV_VAR.to_owned(),
                len: value.len(),
            });
        }
        return Ok(SecretBox::new(Box::new(value.as_bytes().to_vec())));
    }

    let path = data_dir.join(SECRET_FILE_NAME);
    match read_secret_file(&path) {
        Ok(secret) => Ok(secret),
        Err(ReadError::Missing) => create_secret_file(data_dir, &path),
        Err(ReadError::Failed(e)) => Err(e),
    }
}

enum ReadError {
    Missing,
    Failed(AuthError),
}

fn read_secret_file(path: &Path) -> Result<SecretBox<Vec<u8>>, ReadError> {
    let shown = path.display().to_string();
    let refuse = |problem: String| {
        ReadError::Failed(AuthError::SecretFile {
            path: shown.clone(),
            problem,
        })
    };

    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Failed(AuthError::io(format!("open {shown}"), e))),
    };
    // Checked on the open handle, so the checks apply to exactly what is read.
    let meta = file
        .metadata()
        .map_err(|e| ReadError::Failed(AuthError::io(format!("stat {shown}"), e)))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    if let Some(mode) = loose_mode(&meta) {
        return Err(refuse(format!(
            "has mode {mode:04o}, so other users may read or change it; run `chmod 600 {shown}` \
             if no one else could have read it, otherwise delete it to generate a new secret \
             (this signs every user out)"
        )));
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(refuse(format!(
            "is {} bytes, not a secret file",
            meta.len()
        )));
    }

    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)
        .map_err(|e| ReadError::Failed(AuthError::io(format!("read {shown}"), e)))?;
    let bytes = Zeroizing::new(
        hex::decode(text.trim())
            .map_err(|_| refuse("does not contain hex; delete it to generate a new one".into()))?,
    );
    if bytes.len() < MIN_SECRET_LEN {
        return Err(ReadError::Failed(AuthError::SecretTooShort {
            what: format!("the secret in {shown}"),
            len: bytes.len(),
        }));
    }
    Ok(SecretBox::new(Box::new(bytes.to_vec())))
}

/// The permission bits that group/others have, if any (Unix only; elsewhere no check).
fn loose_mode(meta: &fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Writes a new secret to a temporary file created with mode 0600, then links it into place.
/// Linking (unlike renaming) fails if another process created the file meanwhile; we then use
/// theirs, so two instances starting together never end up with different secrets.
fn create_secret_file(data_dir: &Path, path: &Path) -> Result<SecretBox<Vec<u8>>, AuthError> {
    create_private_dir(data_dir)?;
    let secret = Zeroizing::new(random::random_bytes::<MIN_SECRET_LEN>()?);
    let mut contents = Zeroizing::new(hex::encode(*secret));
    contents.push('\n');

    let suffix = hex::encode(random::random_bytes::<8>()?);
    let tmp = data_dir.join(format!(".{SECRET_FILE_NAME}.{suffix}.tmp"));
    let written = write_new_private_file(&tmp, contents.as_bytes());
    let placed = written.and_then(|()| match fs::hard_link(&tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        // Some file systems (FAT, some network mounts) have no hard links; a rename is still
        // atomic, it just cannot detect a concurrent creator.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied
            ) =>
        {
            fs::rename(&tmp, path).map(|()| true)
        }
        Err(e) => Err(e),
    });
    let _ = fs::remove_file(&tmp);
    let placed = placed.map_err(|e| AuthError::io(format!("write {}", path.display()), e))?;
    if !placed {
        return read_secret_file(path).map_err(|e| match e {
            ReadError::Failed(e) => e,
            ReadError::Missing => AuthError::SecretFile {
                path: path.display().to_string(),
                problem: "vanished while being created".into(),
            },
        });
    }
    sync_dir(data_dir);
    tracing::info!(path = %path.display(), "generated a new JWT signing secret");
    Ok(SecretBox::new(Box::new(secret.to_vec())))
}

fn write_new_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Created with the mode, so the secret is never readable by others, not even briefly.
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn create_private_dir(dir: &Path) -> Result<(), AuthError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| AuthError::io(format!("create {}", dir.display()), e))
}

/// Makes the new directory entry durable; best effort (not every platform can open a dir).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(all(test, unix))]
mod tests;
