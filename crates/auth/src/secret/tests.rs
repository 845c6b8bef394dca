use std::os::unix::fs::PermissionsExt;

use secrecy::ExposeSecret;

use super::*;

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn env_secret_of_32_bytes_is_used_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let value = "0123456789abcdef0123456789abcdef";
    let secret = load_or_create_jwt_secret(dir.path(), Some(value)).unwrap();
    assert_eq!(secret.expose_secret().as_slice(), value.as_bytes());
    assert!(
        !dir.path().join(SECRET_FILE_NAME).exists(),
        "no file when env is set"
    );
}

#[test]
fn env_secret_shorter_than_32_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_or_create_jwt_secret(dir.path(), Some("short")).unwrap_err();
    assert!(
        matches!(err, AuthError::SecretTooShort { len: 5, .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(SECRET_ENV_VAR) && message.contains("32"),
        "{message}"
    );
}

#[test]
fn empty_env_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_or_create_jwt_secret(dir.path(), Some("")).unwrap_err();
    assert!(matches!(err, AuthError::SecretTooShort { len: 0, .. }));
}

#[test]
fn missing_file_is_created_with_mode_0600_and_32_random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let secret = load_or_create_jwt_secret(dir.path(), None).unwrap();
    assert_eq!(secret.expose_secret().len(), 32);
    let path = dir.path().join(SECRET_FILE_NAME);
    assert_eq!(mode_of(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.trim(), hex::encode(secret.expose_secret()));
}

#[test]
fn second_load_returns_the_same_secret() {
    let dir = tempfile::tempdir().unwrap();
    let first = load_or_create_jwt_secret(dir.path(), None).unwrap();
    let second = load_or_create_jwt_secret(dir.path(), None).unwrap();
    assert_eq!(first.expose_secret(), second.expose_secret());
}

#[test]
fn two_data_dirs_get_different_secrets() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = load_or_create_jwt_secret(a.path(), None).unwrap();
    let b = load_or_create_jwt_secret(b.path(), None).unwrap();
    assert_ne!(a.expose_secret(), b.expose_secret());
}

#[test]
fn no_temporary_file_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create_jwt_secret(dir.path(), None).unwrap();
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [SECRET_FILE_NAME]);
}

#[test]
fn missing_data_dir_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested/data");
    load_or_create_jwt_secret(&data_dir, None).unwrap();
    assert_eq!(mode_of(&data_dir), 0o700);
    assert!(data_dir.join(SECRET_FILE_NAME).exists());
}

#[test]
fn group_readable_file_is_refused_not_fixed() {
    let dir = tempfile::tempdir().unwrap();
    load_or_create_jwt_secret(dir.path(), None).unwrap();
    let path = dir.path().join(SECRET_FILE_NAME);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let err = load_or_create_jwt_secret(dir.path(), None).unwrap_err();
    assert!(matches!(err, AuthError::SecretFile { .. }), "{err:?}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    assert_eq!(mode_of(&path), 0o640, "the file is left as it was");
}

#[test]
fn world_readable_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SECRET_FILE_NAME);
    fs::write(&path, hex::encode([7u8; 32])).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let err = load_or_create_jwt_secret(dir.path(), None).unwrap_err();
    assert!(err.to_string().contains("0644"), "{err}");
}

#[test]
fn file_with_fewer_than_32_bytes_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SECRET_FILE_NAME);
    write_new_private_file(&path, hex::encode([1u8; 16]).as_bytes()).unwrap();
    let err = load_or_create_jwt_secret(dir.path(), None).unwrap_err();
    assert!(
        matches!(err, AuthError::SecretTooShort { len: 16, .. }),
        "{err:?}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), hex::encode([1u8; 16]));
}

#[test]
fn file_that_is_not_hex_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SECRET_FILE_NAME);
    write_new_private_file(&path, b"not hex at all, but long enough to be 32 bytes").unwrap();
    let err = load_or_create_jwt_secret(dir.path(), None).unwrap_err();
    assert!(err.to_string().contains("hex"), "{err}");
}

#[test]
fn existing_private_file_is_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(SECRET_FILE_NAME);
    write_new_private_file(&path, format!("{}\n", hex::encode([9u8; 48])).as_bytes()).unwrap();
    let secret = load_or_create_jwt_secret(dir.path(), None).unwrap();
    assert_eq!(secret.expose_secret().as_slice(), [9u8; 48]);
}

#[test]
fn concurrent_first_starts_agree_on_one_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| load_or_create_jwt_secret(dir.path(), None).unwrap()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().expose_secret().clone())
            .collect()
    });
    assert!(secrets.windows(2).all(|w| w[0] == w[1]));
    let on_disk = fs::read_to_string(dir.path().join(SECRET_FILE_NAME)).unwrap();
    assert_eq!(on_disk.trim(), hex::encode(&secrets[0]));
}
