//! `cargo xtask <command>`: project automation with nothing but the standard library.

mod bench;
mod bench_download;
mod bench_inference;
mod bench_llama_cpp;
mod bench_pool;
mod bench_serve;
mod bench_serve_figures;
mod cmd;
mod fuzz;
mod openapi;
mod postgres;
mod test;
mod ui;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup             install everything the project needs (runs ./setup)
  openapi [--check] write openapi.json from the code and the TypeScript types from it
                    (--check: fail if any is stale)
  ui                build the web UI (embedded by the next cargo build) and the TypeScript SDK
  test              fmt, clippy, UI checks, build, every test (with a temporary PostgreSQL), the
                    API contract fuzz,
                    then the browser tests against the release binary
  bench [server|inference|download]
                    benchmarks of the release binary (inference: vs Python mlx-lm; download: vs curl)
  fuzz              schemathesis over the API spec as an admin and a member (no server errors,
                    nothing off the spec, no undocumented statuses)
  postgres          start a temporary PostgreSQL and print its URL until Ctrl-C";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => cmd::run(cmd::command("./setup").current_dir(cmd::root())),
        Some("openapi") => openapi::run(args.iter().any(|a| a == "--check")),
        Some("test") => test::run(),
        Some("ui") => ui::build(),
        Some("bench") => bench::run(&args[1..]),
        Some("postgres") => postgres::serve_until_interrupted(),
        Some("fuzz") => fuzz::run(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
