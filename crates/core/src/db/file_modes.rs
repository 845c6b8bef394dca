//! The SQLite files hold e-mails, password hashes and key hashes: only the server's user may
//! read them, whatever the umask or the data directory's mode.

use std::io;
use std::path::Path;

/// Creates the database file owner-only if it does not exist yet, and narrows an existing
/// database's files (`-wal`, `-shm` included) to owner-only. SQLite gives the journal files the
/// database's mode, so later ones follow.
pub fn restrict_sqlite_files(database: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !database.exists() {
            if let Some(parent) = database.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(database)?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            let file = Path::new(&name);
            match std::fs::metadata(file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = database;
    Ok(())
}

/// Whether other users may read or enter the directory (a warning, not an error: the owner
/// may have chosen it, but the secrets in it would then be readable by others).
pub fn is_shared_with_others(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir).is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_database_file_is_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.db");
        restrict_sqlite_files(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn existing_readable_database_files_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("m.db");
        for name in ["m.db", "m.db-wal", "m.db-shm"] {
            let path = dir.path().join(name);
            std::fs::write(&path, b"").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        restrict_sqlite_files(&db).unwrap();
        for name in ["m.db", "m.db-wal", "m.db-shm"] {
            assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn a_group_readable_directory_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(!is_shared_with_others(dir.path()));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
        assert!(is_shared_with_others(dir.path()));
    }
}
