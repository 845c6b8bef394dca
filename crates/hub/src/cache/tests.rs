use super::*;

fn repo(dir: &Path) -> RepoCache {
    HubCache::new(dir).repo(&RepoId::parse("org/model").unwrap())
}

#[test]
fn snapshot_links_are_relative_and_resolve_from_nested_folders() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(repo.blob_path("x").parent().unwrap()).unwrap();
    std::fs::write(repo.blob_path("abc"), b"weights").unwrap();
    repo.link_snapshot_file("c0ffee", "model.safetensors", "abc")
        .unwrap();
    repo.link_snapshot_file("c0ffee", "sub/dir/file.bin", "abc")
        .unwrap();
    let top = repo.snapshot_dir("c0ffee").join("model.safetensors");
    let nested = repo.snapshot_dir("c0ffee").join("sub/dir/file.bin");
    assert_eq!(
        std::fs::read_link(&top).unwrap(),
        Path::new("../../blobs/abc")
    );
    assert_eq!(
        std::fs::read_link(&nested).unwrap(),
        Path::new("../../../../blobs/abc")
    );
    assert_eq!(std::fs::read(nested).unwrap(), b"weights");
    assert_eq!(repo.linked_blobs(), HashSet::from(["abc".to_string()]));
}

#[test]
fn refs_are_written_without_a_newline_and_read_back() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    assert_eq!(repo.read_ref("main"), None);
    repo.write_ref("main", "0123abcd").unwrap();
    let raw = std::fs::read_to_string(repo.dir().join("refs/main")).unwrap();
    assert_eq!(raw, "0123abcd");
    assert_eq!(repo.read_ref("main").as_deref(), Some("0123abcd"));
}

#[test]
fn removing_a_cancelled_download_keeps_blobs_another_snapshot_links() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(repo.blob_path("x").parent().unwrap()).unwrap();
    std::fs::write(repo.blob_path("shared"), b"shared").unwrap();
    std::fs::write(repo.blob_path("mine"), b"mine").unwrap();
    std::fs::write(repo.incomplete_path("partial"), b"part").unwrap();
    repo.link_snapshot_file("old", "config.json", "shared")
        .unwrap();

    let etags = ["shared", "mine", "partial"].map(String::from);
    let freed = repo.remove_unlinked_blobs(&etags).unwrap();

    assert_eq!(freed, 8);
    assert!(repo.blob_path("shared").exists());
    assert!(!repo.blob_path("mine").exists());
    assert!(!repo.incomplete_path("partial").exists());
    assert!(repo.exists());
}

#[test]
fn removing_the_only_download_of_a_repo_removes_its_folder() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(repo.blob_path("x").parent().unwrap()).unwrap();
    std::fs::write(repo.incomplete_path("partial"), b"part").unwrap();
    repo.remove_unlinked_blobs(&["partial".to_string()])
        .unwrap();
    assert!(!repo.exists());
}

#[test]
fn repos_lists_model_folders_only() {
    let temp = tempfile::tempdir().unwrap();
    for folder in ["models--a--b", "datasets--c--d", ".locks", "models--bad"] {
        std::fs::create_dir_all(temp.path().join(folder)).unwrap();
    }
    let repos = HubCache::new(temp.path()).repos().unwrap();
    assert_eq!(repos, vec![RepoId::parse("a/b").unwrap()]);
}
