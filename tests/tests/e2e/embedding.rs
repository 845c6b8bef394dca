//! The composition root as a library: `crates/web/examples/embed.rs` starts the whole server
//! from another Rust program, checks `/health` over HTTP and stops it gracefully.

use std::process::Command;

use mlx_manager_tests::binary_path;

#[test]
fn another_program_starts_checks_and_stops_the_whole_server() {
    // target/<profile>/mlx-manager -> target/<profile>/examples/embed (built with --all-targets)
    let example = binary_path().with_file_name("examples").join("embed");
    assert!(
        example.exists(),
        "{} is missing: build it with `cargo build -p mlx-manager --examples`",
        example.display()
    );
    let home = tempfile::tempdir().unwrap();
    let data_dir = home.path().join("data");
    let mut command = Command::new(&example);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("MLX_MANAGER_") || key.starts_with("HF_") {
            command.env_remove(key.as_ref());
        }
    }
    let output = command
        .arg(&data_dir)
        .env("HOME", home.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("HTTP/1.1 200"), "{stdout}");
    assert!(stdout.contains("\"healthy\""), "{stdout}");
    assert!(stdout.trim_end().ends_with("stopped"), "{stdout}");
    assert!(
        data_dir.join("mlx-manager.db").exists(),
        "the embedded server used the given data dir"
    );
}
