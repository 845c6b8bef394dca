//! `mlx-manager`: the command-line entry point.

mod cli;
mod commands;
mod logging;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// mimalloc for Rust and, through its `override` feature, for `malloc`/`free` of the whole
/// process, libmlx's included: the engine's decode speed depends on it (see the bench).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[allow(unsafe_code)]
unsafe extern "C" {
    /// mimalloc's "collect now": frees what its heaps keep for reuse (`force` = all of it).
    fn mi_collect(force: bool);
}

/// What a model load freed goes back to the system at once, so memory after a load is the
/// model's (mimalloc would otherwise keep it until it purges on its own).
#[allow(unsafe_code)]
fn release_freed_memory() {
    // SAFETY: mi_collect takes no pointers and may be called from any thread.
    unsafe { mi_collect(true) }
}

fn main() -> ExitCode {
    mlx_manager_inference::memory_release::set_release_hook(release_freed_memory);
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Openapi(args) => cli::write_openapi(&args),
        Command::Users(args) => commands::users::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Chat(args) => commands::chat::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::Service(args) => commands::service::run(args),
        Command::Pull(args) => commands::models::pull(args),
        Command::Models(args) => commands::models::list(args),
        Command::Rm(args) => commands::models::remove(args),
    }
}
