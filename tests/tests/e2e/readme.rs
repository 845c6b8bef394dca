//! The README's commands are the ones CI runs.

#[test]
fn ci_runs_exactly_the_test_command_from_the_readme() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let ci = std::fs::read_to_string(format!("{root}/.ci/run")).unwrap();
    let command = ci.lines().last().unwrap().trim();
    assert_eq!(command, "./setup && cargo xtask test");
    let first_commands: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("./setup"))
        .take(2)
        .collect();
    assert_eq!(
        first_commands,
        [
            "./setup && cargo xtask ui && cargo run --release -p mlx-manager -- serve",
            command
        ]
    );
}
