//! The reference client, Python `huggingface_hub` (in the project's `.venv`, made by `./setup`),
//! downloads from and searches the fake hub: the fake speaks the protocol the way real clients
//! expect it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard, fixture, workspace_root};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Runs `code` with the venv's Python against `hub`, with a fresh `HF_HOME` and `args` as
/// `sys.argv[1:]`; returns the JSON its last stdout line holds, and the `HF_HOME`.
async fn python(hub: &FakeHub, code: &str, args: &[&str]) -> (Value, tempfile::TempDir) {
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./setup, which creates the project venv with huggingface_hub",
        python.display()
    );
    let home = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(&python);
    command
        .arg("-c")
        .arg(code)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("HF_HOME", home.path().join("hf"))
        .env("HF_ENDPOINT", hub.url())
        .env("HF_HUB_DISABLE_XET", "1")
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("python finished within 60 s")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python failed ({}):\nstdout: {stdout}\nstderr: {stderr}\nhub requests: {:#?}",
        output.status,
        hub.requests()
    );
    let last = stdout.lines().last().unwrap_or_default();
    let value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("python printed no JSON ({e}): {stdout}\nstderr: {stderr}"));
    (value, home)
}

/// Every file under `dir` (following symlinks), as sorted relative paths.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn assert_same_files(snapshot: &Path, fixture: &Path) {
    let names = files(fixture);
    assert_eq!(files(snapshot), names);
    for name in names {
        let got = std::fs::read(snapshot.join(&name)).unwrap();
        let want = std::fs::read(fixture.join(&name)).unwrap();
        assert!(got == want, "{name} differs from the fixture");
    }
}

const DOWNLOAD_AND_SEARCH: &str = r#"
import json, sys
from huggingface_hub import HfApi, snapshot_download
repo, search = sys.argv[1], sys.argv[2]
path = snapshot_download(repo)
api = HfApi()
models = [m.id for m in api.list_models(search=search, filter="mlx")]
info = api.model_info(repo)
print(json.dumps({"path": path, "models": models, "sha": info.sha,
                  "siblings": sorted(s.rfilename for s in info.siblings)}))
"#;

#[tokio::test]
async fn python_snapshot_download_gets_byte_identical_files_and_list_models_finds_the_model() {
    let hub = FakeHub::start().await;
    let repo = "mlx-community/tiny-qwen3-fake";
    let commit = hub.publish(repo, &fixture("tiny-qwen3"), ModelCard::default());
    hub.publish(
        "someone/tiny-llama-4bit",
        &fixture("tiny-llama-4bit"),
        ModelCard::default(),
    );

    let (out, home) = python(&hub, DOWNLOAD_AND_SEARCH, &[repo, "QWEN3"]).await;

    let snapshot = PathBuf::from(out["path"].as_str().unwrap());
    let cache = home
        .path()
        .join("hf/hub/models--mlx-community--tiny-qwen3-fake");
    assert_eq!(snapshot, cache.join("snapshots").join(&commit));
    assert_same_files(&snapshot, &fixture("tiny-qwen3"));
    assert_eq!(
        std::fs::read_to_string(cache.join("refs/main")).unwrap(),
        commit
    );
    // LFS blobs are named after the sha256 announced in X-Linked-Etag.
    let model = std::fs::read(fixture("tiny-qwen3").join("model.safetensors")).unwrap();
    let sha256 = hex::encode(Sha256::digest(&model));
    assert!(cache.join("blobs").join(&sha256).is_file());
    assert_eq!(out["models"], serde_json::json!([repo]));
    assert_eq!(out["sha"], commit.as_str());
    assert_eq!(
        out["siblings"].as_array().unwrap().len(),
        files(&fixture("tiny-qwen3")).len()
    );
    assert!(
        hub.requests()
            .iter()
            .any(|line| line.starts_with("cdn GET /repos/") && line.ends_with("-> 200")),
        "the LFS file came from the CDN: {:#?}",
        hub.requests()
    );
    assert!(!hub.faults().cdn_saw_authorization());
}

const DOWNLOAD_BIN_FILES: &str = r#"
import json, sys
from huggingface_hub import snapshot_download
path = snapshot_download(sys.argv[1], allow_patterns=["*.bin"])
print(json.dumps({"path": path}))
"#;

#[tokio::test]
async fn python_client_resumes_a_cut_download_with_a_range_request() {
    // Python hands the body to its file in 10 MiB pieces and resumes from what it wrote, so the
    // file is bigger than that and the cut comes after the first piece.
    let dir = tempfile::tempdir().unwrap();
    let weights: Vec<u8> = (0..12 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(dir.path().join("weights.bin"), &weights).unwrap();
    let hub = FakeHub::start().await;
    let repo = "org/big-weights";
    hub.publish(repo, dir.path(), ModelCard::default());
    let cut = 10 * 1024 * 1024 + 512 * 1024;
    hub.faults().cut_after_bytes(cut, 1);

    let (out, _home) = python(&hub, DOWNLOAD_BIN_FILES, &[repo]).await;

    let path = PathBuf::from(out["path"].as_str().unwrap()).join("weights.bin");
    assert!(std::fs::read(path).unwrap() == weights);
    assert_eq!(hub.file_requests(), 2, "{:#?}", hub.requests());
    assert!(
        hub.requests()
            .iter()
            .any(|line| line.starts_with("cdn GET") && line.ends_with("-> 206")),
        "{:#?}",
        hub.requests()
    );
    assert!(
        hub.bytes_served_for(repo, "weights.bin") < cut + weights.len() as u64,
        "the second request asked only for the rest"
    );
}

const GATED: &str = r#"
import json, sys
from huggingface_hub import snapshot_download
from huggingface_hub.errors import GatedRepoError
repo = sys.argv[1]
try:
    snapshot_download(repo, token=False)
    refused = False
except GatedRepoError:
    refused = True
path = snapshot_download(repo, token=sys.argv[2])
print(json.dumps({"refused": refused, "path": path}))
"#;

#[tokio::test]
async fn python_downloads_a_gated_repo_with_the_token_and_never_sends_it_to_the_cdn() {
    let hub = FakeHub::start().await;
    let repo = "org/gated";
    let card = ModelCard {
        gated: true,
        ..ModelCard::default()
    };
    hub.publish(repo, &fixture("tiny-llama-4bit"), card);
    hub.faults().set_token(Some("hf_fake_token".into()));

    let (out, _home) = python(&hub, GATED, &[repo, "hf_fake_token"]).await;

    assert_eq!(out["refused"], true, "no token: GatedRepoError");
    assert_same_files(
        Path::new(out["path"].as_str().unwrap()),
        &fixture("tiny-llama-4bit"),
    );
    assert!(
        hub.requests()
            .iter()
            .any(|line| line.starts_with("cdn GET") && line.ends_with("-> 200"))
    );
    assert!(!hub.faults().cdn_saw_authorization());
}
