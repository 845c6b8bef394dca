//! The web UI (`crates/web/ui`) and the TypeScript SDK (`sdk`): npm packages built, checked and
//! tested from here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Result};

pub const UI_DIR: &str = "crates/web/ui";
pub const SDK_DIR: &str = "sdk";
/// Generated from `openapi.json` by openapi-typescript, committed. The one copy: the UI imports
/// these types from the SDK (`$sdk/schema`, in `crates/web/ui/src/lib/api/schema.ts`).
pub const GENERATED_TYPES: &str = "sdk/src/schema.ts";

fn npm(dir: &str) -> Command {
    let mut command = Command::new("npm");
    command
        .current_dir(cmd::root().join(dir))
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    command
}

/// `npm ci` where `node_modules` is missing (./setup normally did it).
pub fn ensure_installed(dir: &str) -> Result {
    if cmd::root().join(dir).join("node_modules").is_dir() {
        return Ok(());
    }
    cmd::run(npm(dir).args(["ci", "--no-audit", "--no-fund"]))
}

pub fn run_script(dir: &str, script: &str) -> Result {
    ensure_installed(dir)?;
    cmd::run(npm(dir).args(["run", "--silent", script]))
}

/// `cargo xtask ui`: builds the UI (embedded by the next cargo build) and the SDK.
pub fn build() -> Result {
    run_script(UI_DIR, "build")?;
    run_script(SDK_DIR, "build")
}

/// Type checks, lints and unit tests of both packages.
pub fn checks() -> Result {
    run_script(UI_DIR, "check")?;
    run_script(UI_DIR, "lint")?;
    run_script(UI_DIR, "test:unit")?;
    run_script(SDK_DIR, "check")
}

/// The browser tests, against the given server binary.
pub fn e2e(binary: &Path) -> Result {
    ensure_installed(UI_DIR)?;
    cmd::run(
        npm(UI_DIR)
            .args(["run", "--silent", "test:e2e"])
            .env("MLX_MANAGER_BIN", binary)
            .env("FAKE_HUB_BIN", crate::bench::fake_hub_binary()),
    )
}

/// Writes the TypeScript types for the current `openapi.json` (or, with `check`, fails when the
/// committed ones differ), with the SDK's openapi-typescript.
pub fn generate_types(check: bool) -> Result {
    ensure_installed(SDK_DIR)?;
    let root = cmd::root();
    let generator = root
        .join(SDK_DIR)
        .join("node_modules/.bin/openapi-typescript");
    let fresh = std::env::temp_dir().join(format!("mlx-manager-schema-{}.ts", std::process::id()));
    cmd::output(
        Command::new(&generator)
            .arg(root.join("openapi.json"))
            .arg("-o")
            .arg(&fresh),
    )?;
    let text = std::fs::read_to_string(&fresh).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&fresh);
    let path: PathBuf = root.join(GENERATED_TYPES);
    if check {
        if std::fs::read_to_string(&path).unwrap_or_default() != text {
            return Err(format!(
                "{GENERATED_TYPES} is stale: run `cargo xtask openapi` and commit it"
            ));
        }
    } else {
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
