use super::*;

const OLD: &str = "0000000000000000000000000000000000000001";
const NEW: &str = "c0ffee0000000000000000000000000000000000";

fn repo(dir: &Path) -> RepoCache {
    HubCache::new(dir).repo(&RepoId::parse("org/model").unwrap())
}

fn commit(sha: &str) -> CommitSha {
    CommitSha::parse(sha).unwrap()
}

fn blob(repo: &RepoCache, etag: &str) -> PathBuf {
    repo.blob_path(etag).unwrap()
}

fn partial(repo: &RepoCache, etag: &str) -> PathBuf {
    repo.incomplete_path(etag).unwrap()
}

#[test]
fn snapshot_links_are_relative_and_resolve_from_nested_folders() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(blob(&repo, "x").parent().unwrap()).unwrap();
    std::fs::write(blob(&repo, "abc"), b"weights").unwrap();
    repo.link_snapshot_file(&commit(NEW), "model.safetensors", "abc")
        .unwrap();
    repo.link_snapshot_file(&commit(NEW), "sub/dir/file.bin", "abc")
        .unwrap();
    let top = repo.snapshot_dir(&commit(NEW)).join("model.safetensors");
    let nested = repo.snapshot_dir(&commit(NEW)).join("sub/dir/file.bin");
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
    let main = Revision::main();
    assert_eq!(repo.read_ref(&main), None);
    repo.write_ref(&main, &commit(NEW)).unwrap();
    let raw = std::fs::read_to_string(repo.dir().join("refs/main")).unwrap();
    assert_eq!(raw, NEW);
    assert_eq!(repo.read_ref(&main), Some(commit(NEW)));
    let pr = Revision::parse("refs/pr/1").unwrap();
    repo.write_ref(&pr, &commit(OLD)).unwrap();
    assert_eq!(repo.read_ref(&pr), Some(commit(OLD)));
    assert!(repo.dir().join("refs/refs/pr/1").is_file());
}

#[test]
fn removing_a_cancelled_download_keeps_blobs_another_snapshot_links() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(blob(&repo, "x").parent().unwrap()).unwrap();
    std::fs::write(blob(&repo, "shared"), b"shared").unwrap();
    std::fs::write(blob(&repo, "mine"), b"mine").unwrap();
    std::fs::write(partial(&repo, "partial"), b"part").unwrap();
    repo.link_snapshot_file(&commit(OLD), "config.json", "shared")
        .unwrap();

    let etags = ["shared", "mine", "partial"].map(String::from);
    let freed = repo.remove_unlinked_blobs(&etags).unwrap();

    assert_eq!(freed, 8);
    assert!(blob(&repo, "shared").exists());
    assert!(!blob(&repo, "mine").exists());
    assert!(!partial(&repo, "partial").exists());
    assert!(repo.exists());
}

#[test]
fn removing_the_only_download_of_a_repo_removes_its_folder() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(blob(&repo, "x").parent().unwrap()).unwrap();
    std::fs::write(partial(&repo, "partial"), b"part").unwrap();
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

#[test]
fn a_ref_holding_anything_but_a_commit_counts_as_missing() {
    let temp = tempfile::tempdir().unwrap();
    let repo = repo(temp.path());
    std::fs::create_dir_all(repo.dir().join("refs")).unwrap();
    std::fs::write(repo.dir().join("refs/main"), "../../../../tmp/x").unwrap();
    assert_eq!(repo.read_ref(&Revision::main()), None);
}

#[test]
fn names_that_would_leave_the_cache_are_refused_and_nothing_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let cache = temp.path().join("hub");
    let repo = repo(&cache);
    for etag in ["../x", "..", ".", "", "a/b", "/abs", "a\\b", "a\nb"] {
        assert!(repo.blob_path(etag).is_err(), "blob {etag:?}");
    }
    for etag in ["../x", "a/b", "/abs", "a\\b"] {
        assert!(repo.incomplete_path(etag).is_err(), "partial {etag:?}");
        assert!(repo.lock_path(etag).is_err(), "lock {etag:?}");
    }
    for path in [
        "../../x",
        "a/../../b",
        "/abs",
        "a//b",
        "./a",
        "a\\..\\b",
        "",
    ] {
        let linked = repo.link_snapshot_file(&commit(NEW), path, "abc");
        assert_eq!(
            linked.unwrap_err().kind(),
            io::ErrorKind::InvalidInput,
            "{path:?}"
        );
    }
    let linked = repo.link_snapshot_file(&commit(NEW), "config.json", "../../x");
    assert_eq!(linked.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    assert!(
        std::fs::read_dir(temp.path()).unwrap().next().is_none(),
        "something was created"
    );
    assert!(inside(Path::new("/c"), "a/b.c/d").is_ok());
}
