//! `cargo xtask test`: everything CI checks, in order, with each step timed.

use crate::cmd::{self, Result, Steps};
use crate::postgres::TempPostgres;

const POSTGRES_URL_VARIABLE: &str = "MLX_MANAGER_TEST_POSTGRES_URL";

pub fn run() -> Result {
    let mut steps = Steps::default();
    let result = run_steps(&mut steps);
    steps.print_summary();
    result
}

fn run_steps(steps: &mut Steps) -> Result {
    steps.step("cargo fmt --check", || {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--check"]))
    })?;
    steps.step("cargo clippy", || {
        cmd::run(cmd::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    steps.step("web UI and SDK: types, lint, unit tests", crate::ui::checks)?;
    steps.step("web UI and SDK: build", crate::ui::build)?;
    // Built with the test build's feature set, so nextest reuses every artifact (and the
    // end-to-end tests find the binary).
    steps.step("cargo build (all targets)", || {
        cmd::run(cmd::cargo().args(["build", "--locked", "--workspace", "--all-targets"]))
    })?;

    // Tests against PostgreSQL are never skipped: use the given server or start a throwaway one.
    let mut postgres = None;
    if std::env::var_os(POSTGRES_URL_VARIABLE).is_none() {
        steps.step("start temporary PostgreSQL", || {
            postgres = Some(TempPostgres::start()?);
            Ok(())
        })?;
    }
    let postgres_url = match &postgres {
        Some(server) => server.url(),
        None => std::env::var(POSTGRES_URL_VARIABLE).unwrap_or_default(),
    };
    steps.step("cargo nextest run", || {
        cmd::run(
            cmd::cargo()
                .args([
                    "nextest",
                    "run",
                    "--workspace",
                    "--locked",
                    "--no-fail-fast",
                ])
                .env(POSTGRES_URL_VARIABLE, &postgres_url),
        )
    })?;
    drop(postgres);
    steps.step("API contract fuzz (schemathesis)", crate::fuzz::contract)?;
    steps.step("cargo build --release (embeds the UI)", || {
        cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))
    })?;
    steps.step("browser tests (Playwright, Chromium)", || {
        crate::ui::e2e(&crate::bench::release_binary())
    })?;
    Ok(())
}
