//! `mlx-manager generate`: text on stdout, statistics on stderr, clear errors.

use std::time::Duration;

use mlx_manager_tests::run_cli;

use crate::helpers::assert_one_clear_line;

fn fixture(name: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../.fixtures")
        .join(name);
    assert!(
        dir.join("config.json").exists(),
        "{} is missing: run ./setup",
        dir.display()
    );
    dir.to_string_lossy().into_owned()
}

#[test]
fn generate_streams_text_to_stdout_and_statistics_to_stderr() {
    let model = fixture("smollm2-135m-f32");
    let output = run_cli(
        &[
            "generate",
            "--model",
            &model,
            "--chat",
            "--prompt",
            "What is the capital of France?",
            "--max-tokens",
            "24",
        ],
        &[],
        Duration::from_secs(120),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("Paris"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stats = stderr
        .lines()
        .find(|l| l.starts_with("prompt:"))
        .expect("a statistics line");
    for part in [
        "tok/s",
        "generation:",
        "first token:",
        "peak memory:",
        "finish: Stop",
    ] {
        assert!(stats.contains(part), "{stats}");
    }
}

#[test]
fn generate_with_a_seed_is_reproducible() {
    let model = fixture("tiny-qwen3");
    let run = |seed: &str| {
        let args = [
            "generate",
            "--model",
            &model,
            "--prompt",
            "Hello",
            "--temp",
            "1.0",
            "--seed",
            seed,
            "--max-tokens",
            "32",
        ];
        let output = run_cli(&args, &[], Duration::from_secs(60));
        assert!(output.status.success());
        output.stdout
    };
    assert_eq!(run("3"), run("3"));
    assert_ne!(run("3"), run("4"));
}

#[test]
fn generate_reports_a_bad_model_directory_in_one_line() {
    let output = run_cli(
        &["generate", "--model", "/nonexistent/model", "--prompt", "x"],
        &[],
        Duration::from_secs(30),
    );
    assert_one_clear_line(&output, "config.json");
}

#[test]
fn generate_finds_a_model_of_the_hub_cache_by_its_repo_id() {
    let hf_home = tempfile::tempdir().unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let repo = hf_home.path().join("hub/models--mlx-test--tiny-qwen3");
    let snapshot = repo.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).unwrap();
    for entry in std::fs::read_dir(fixture("tiny-qwen3")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), snapshot.join(entry.file_name())).unwrap();
    }
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(repo.join("refs/main"), commit).unwrap();
    let hf_home = hf_home.path().to_str().unwrap();
    let run = |model: &str| {
        run_cli(
            &[
                "generate",
                "--model",
                model,
                "--prompt",
                "hello",
                "--max-tokens",
                "4",
            ],
            &[("HF_HOME", hf_home)],
            Duration::from_secs(60),
        )
    };

    let output = run("mlx-test/tiny-qwen3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("generation: ") && stderr.contains("finish:"),
        "{stderr}"
    );

    assert_one_clear_line(&run("mlx-test/absent"), "mlx-manager pull mlx-test/absent");
}

/// Run on the data dir and cache of a server that made the profile (SQLite shares it).
#[tokio::test]
async fn generate_takes_a_profile_name_whose_defaults_apply_and_a_cached_repo_id() {
    use mlx_manager_tests::models::{HfHome, spawn_offline};
    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (status, created) = app
        .call(
            reqwest::Method::POST,
            "/api/profiles",
            &admin,
            Some(
                serde_json::json!({"name": "smol-short", "model": "test-org/smollm2",
                "temperature": 0, "max_tokens": 5}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let path = home.path().to_path_buf();
    let prompt = "The capital of France is";
    let (by_profile, by_repo, unknown) = tokio::task::spawn_blocking({
        let app_dir = app.data_dir.clone();
        move || {
            let run = |args: &[&str]| {
                mlx_manager_tests::cli_command(&app_dir)
                    .env("HF_HOME", &path)
                    .env("HF_HUB_OFFLINE", "1")
                    .arg("generate")
                    .args(args)
                    .output()
                    .expect("run generate")
            };
            (
                run(&["--model", "smol-short", "--prompt", prompt]),
                run(&[
                    "--model",
                    "test-org/smollm2",
                    "--prompt",
                    prompt,
                    "--max-tokens",
                    "5",
                ]),
                run(&["--model", "no-such-profile", "--prompt", prompt]),
            )
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&by_profile.stderr);
    assert!(by_profile.status.success(), "{stderr}");
    assert!(
        stderr.contains("generation: 5 tokens"),
        "the profile's max_tokens: {stderr}"
    );
    assert!(
        by_repo.status.success(),
        "{}",
        String::from_utf8_lossy(&by_repo.stderr)
    );
    assert_eq!(
        by_profile.stdout, by_repo.stdout,
        "the profile's temperature 0 is greedy, as the default"
    );
    assert_one_clear_line(&unknown, "no profile is named");
}
