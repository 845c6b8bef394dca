//! `mlx-manager pull | models | rm` against a fake hub, without a server.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, assert_same_files, fixture, run_python};
use mlx_manager_tests::{cli_command, run_cli};

const TIMEOUT: Duration = Duration::from_secs(120);

fn env(home: &HfHome, hub: &FakeHub) -> Vec<(String, String)> {
    home.env(hub)
}

fn run(args: &[&str], env: &[(String, String)]) -> (bool, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let output = run_cli(args, &env, TIMEOUT);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn pull_downloads_models_lists_and_rm_deletes() {
    let hub = FakeHub::start().await;
    let commit = hub.publish(
        "mlx-test/tiny-qwen3",
        &fixture("tiny-qwen3"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    let env = env(&home, &hub);

    let (ok, out, err) = run(&["pull", "mlx-test/tiny-qwen3"], &env);
    assert!(ok, "{err}");
    assert!(
        out.contains("mlx-test/tiny-qwen3@") && out.contains("ready"),
        "{out}"
    );
    let snapshot = home
        .repo_dir("mlx-test/tiny-qwen3")
        .join("snapshots")
        .join(&commit);
    assert_same_files(&snapshot, &fixture("tiny-qwen3"));

    let (ok, out, err) = run(&["models"], &env);
    assert!(ok, "{err}");
    assert!(
        out.contains("mlx-test/tiny-qwen3") && out.contains("ready"),
        "{out}"
    );

    let (ok, out, err) = run(&["rm", "mlx-test/tiny-qwen3"], &env);
    assert!(ok, "{err}");
    assert!(out.contains("removed mlx-test/tiny-qwen3"), "{out}");
    assert!(!home.repo_dir("mlx-test/tiny-qwen3").exists());
    let (ok, _, err) = run(&["rm", "mlx-test/tiny-qwen3"], &env);
    assert!(!ok && err.contains("not in the cache"), "{err}");
}

#[tokio::test]
async fn pull_of_a_model_python_already_downloaded_fetches_nothing() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-llama",
        &fixture("tiny-llama"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    run_python(
        "from huggingface_hub import snapshot_download\nsnapshot_download('mlx-test/tiny-llama')",
        &env(&home, &hub),
    );
    let fetched_by_python = hub.file_requests();

    let (ok, out, err) = run(&["pull", "mlx-test/tiny-llama"], &env(&home, &hub));

    assert!(ok, "{err}");
    assert!(out.contains("nothing fetched"), "{out}");
    assert_eq!(
        hub.file_requests(),
        fetched_by_python,
        "pull downloaded files again"
    );
}

#[tokio::test]
async fn ctrl_c_keeps_a_resumable_partial_and_the_next_pull_continues_it() {
    let hub = FakeHub::start().await;
    let repo = "mlx-test/smollm2-4bit";
    hub.publish(repo, &fixture("smollm2-135m-4bit"), ModelCard::default());
    hub.faults().rate_limit(Some(15_000_000));
    let home = HfHome::new();
    let env = env(&home, &hub);
    let data = tempfile::tempdir().unwrap();
    let mut command = cli_command(&data.path().join("data"));
    command
        .args(["pull", repo])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let total: u64 = std::fs::metadata(fixture("smollm2-135m-4bit").join("model.safetensors"))
        .unwrap()
        .len();
    let blobs = home.repo_dir(repo).join("blobs");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let partial: u64 = std::fs::read_dir(&blobs)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".incomplete"))
                    .map(|e| e.metadata().unwrap().len())
                    .sum()
            })
            .unwrap_or(0);
        if partial > total / 3 {
            break;
        }
        assert!(Instant::now() < deadline, "the pull made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("run `mlx-manager pull"), "{stderr}");
    assert!(
        !home.repo_dir(repo).join("snapshots").exists(),
        "a partial snapshot was linked"
    );

    hub.faults().rate_limit(None);
    let (ok, out, err) = run(&["pull", repo], &env);
    assert!(ok, "{err}");
    assert!(out.contains("ready"), "{out}");
    let served = hub.bytes_served();
    let all: u64 = std::fs::read_dir(fixture("smollm2-135m-4bit"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(
        served < all + all / 10,
        "{served} bytes served for {all}: the pull started over"
    );
}

#[tokio::test]
async fn pull_of_an_unknown_model_fails_with_a_clear_message() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let (ok, _, err) = run(&["pull", "mlx-test/missing"], &env(&home, &hub));
    assert!(!ok);
    assert!(
        err.contains("mlx-test/missing") && err.contains("not found"),
        "{err}"
    );
    let (ok, _, err) = run(&["pull", "not a repo"], &env(&home, &hub));
    assert!(!ok && err.contains("org/name"), "{err}");
}
