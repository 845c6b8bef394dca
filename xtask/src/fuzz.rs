//! `cargo xtask fuzz`: schemathesis over the served OpenAPI spec, as an admin and as a member,
//! each on a fresh server (`scripts/fuzz/api_contract.py`): no server errors, no responses off
//! the spec, no undocumented statuses. A step of `cargo xtask test`, so a later route that
//! breaks the contract fails CI.

use crate::cmd::{self, Result};

/// Examples per operation and phase: enough to find contract breaks, a few minutes in all.
const MAX_EXAMPLES: &str = "30";

pub fn run() -> Result {
    cmd::run(cmd::cargo().args([
        "build",
        "--locked",
        "-p",
        "mlx-manager",
        "-p",
        "mlx-manager-tests",
        "--bins",
    ]))?;
    contract()
}

/// The fuzz run itself, on the debug binaries already built.
pub fn contract() -> Result {
    let root = cmd::root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let binary = target.join("debug/mlx-manager");
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        return Err(format!("{} is missing: run ./setup", python.display()));
    }
    cmd::run(
        cmd::command(&python.to_string_lossy())
            .arg(root.join("scripts/fuzz/api_contract.py"))
            .arg(&binary)
            .args(["--max-examples", MAX_EXAMPLES, "--workers", "2"])
            .current_dir(&root),
    )
}
