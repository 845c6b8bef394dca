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

fn main() -> ExitCode {
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
