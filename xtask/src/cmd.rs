//! Running commands and timing steps.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    // `cargo run` sets the variable for the checkout it runs in. The compile-time value is only
    // a fallback: with a target directory shared between checkouts (CI's), cargo may reuse an
    // xtask binary built in another checkout, which would then build and test that one.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    Path::new(&manifest_dir)
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

pub fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.current_dir(root());
    command
}

pub fn cargo() -> Command {
    command(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs a command to completion, failing on a non-zero exit.
pub fn run(command: &mut Command) -> Result {
    let shown = format!("{command:?}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Runs a command and returns its standard output.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Records how long each named step took, for a summary at the end.
#[derive(Default)]
pub struct Steps {
    done: Vec<(String, Duration, bool)>,
}

impl Steps {
    pub fn step(&mut self, name: &str, work: impl FnOnce() -> Result) -> Result {
        eprintln!("==> {name}");
        let started = Instant::now();
        let result = work();
        let took = started.elapsed();
        eprintln!(
            "==> {name}: {} in {:.1}s",
            if result.is_ok() { "ok" } else { "FAILED" },
            took.as_secs_f64()
        );
        self.done.push((name.to_string(), took, result.is_ok()));
        result
    }

    pub fn print_summary(&self) {
        eprintln!("\nstep timings:");
        let width = self
            .done
            .iter()
            .map(|(n, _, _)| n.chars().count())
            .max()
            .unwrap_or(5);
        for (name, took, ok) in &self.done {
            eprintln!(
                "  {:<width$} {:>7.1}s  {}",
                name,
                took.as_secs_f64(),
                if *ok { "ok" } else { "FAILED" }
            );
        }
        let total: Duration = self.done.iter().map(|(_, d, _)| *d).sum();
        eprintln!("  {:<width$} {:>7.1}s", "total", total.as_secs_f64());
    }
}
