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
