use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mlx_manager_core::settings::Overrides;

/// Find, download, run and serve MLX models behind multi-user authentication.
#[derive(Debug, Parser)]
#[command(name = "mlx-manager", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (web UI, management API and model API).
    Serve(ServeArgs),
    /// Print the OpenAPI specification of the HTTP API.
    Openapi(OpenapiArgs),
    /// Run `serve` as the user's service (systemd user unit, launchd agent).
    Service(crate::commands::service::ServiceArgs),
    /// A running server's health, memory and loaded models.
    Status(crate::commands::status::StatusArgs),
    /// Chat with a model of a running server in the terminal (streams; Ctrl-C stops an answer).
    Chat(crate::commands::chat::ChatArgs),
    /// Generate text with a local MLX model (streams to stdout, statistics to stderr).
    Generate(crate::commands::generate::GenerateArgs),
    /// Download a model from the Hugging Face hub into the cache (resumable; Ctrl-C keeps what
    /// arrived).
    Pull(crate::commands::models::PullArgs),
    /// List the models in the Hugging Face cache.
    Models(crate::commands::models::ModelsArgs),
    /// Delete a model from the Hugging Face cache.
    Rm(crate::commands::models::RmArgs),
    /// Manage users directly in the database (for a locked-out owner; no server needed).
    Users(crate::commands::users::UsersArgs),
}

/// Flags win over `MLX_MANAGER_*` variables, which win over `<data dir>/config.toml`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on; 0 picks a free one [default: 10242]
    #[arg(long)]
    pub port: Option<u16>,
    /// Where the database, secrets and config.toml live [default: ~/.mlx-manager]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// sqlite:// or postgres:// URL [default: SQLite in the data dir]. Prefer
    /// MLX_MANAGER_DATABASE_URL for URLs with a password: flags are visible to other users.
    #[arg(long)]
    pub database_url: Option<String>,
}

impl ServeArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            host: self.host.clone(),
            port: self.port,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Writes the spec as pretty JSON with a trailing newline (the committed `openapi.json`).
pub fn write_openapi(args: &OpenapiArgs) -> ExitCode {
    let spec = mlx_manager_api::openapi();
    let mut text = match spec.to_pretty_json() {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot serialise the OpenAPI spec: {error}");
            return ExitCode::FAILURE;
        }
    };
    text.push('\n');
    let written = match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| e.to_string()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write the OpenAPI spec: {error}");
            ExitCode::FAILURE
        }
    }
}
