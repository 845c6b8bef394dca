//! `mlx-manager service install|uninstall|status`: run `serve` as the user's service — a
//! systemd user unit on Linux, a launchd agent on macOS — started at login and restarted when
//! it crashes. The service gets the data directory (whose `config.toml` holds the rest of the
//! settings) and the address; secrets never go into the unit file.

mod launchd;
mod systemd;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, Subcommand};
use mlx_manager_core::Settings;
use mlx_manager_core::settings::Overrides;

#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(subcommand)]
    command: ServiceCommand,
}

#[derive(Debug, Subcommand)]
enum ServiceCommand {
    /// Write the service definition and start it (now and at every login).
    Install(InstallArgs),
    /// Stop the service and remove its definition.
    Uninstall,
    /// Whether the service is installed and running.
    Status,
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// Address to listen on [default: the settings']
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on [default: the settings']
    #[arg(long)]
    port: Option<u16>,
    /// The data directory [default: the settings']
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Only write the definition; do not ask the service manager to start it
    #[arg(long)]
    no_start: bool,
}

/// What the service runs, from the settings as they are now.
pub struct ServiceSpec {
    pub binary: PathBuf,
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
    /// How long `serve` may take to stop gracefully.
    pub stop_timeout_secs: u64,
    /// `HF_HOME`, when set: the service shares the user's Hugging Face cache.
    pub hf_home: Option<PathBuf>,
}

impl ServiceSpec {
    /// The command the service runs, word by word.
    pub fn command(&self) -> Vec<String> {
        vec![
            self.binary.display().to_string(),
            "serve".into(),
            "--data-dir".into(),
            self.data_dir.display().to_string(),
            "--host".into(),
            self.host.clone(),
            "--port".into(),
            self.port.to_string(),
        ]
    }
}

pub fn run(args: ServiceArgs) -> ExitCode {
    match execute(args.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: ServiceCommand) -> Result<(), String> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or("HOME is not set: the service belongs to a user")?;
    match command {
        ServiceCommand::Install(args) => {
            let spec = spec(&args)?;
            warn_about_unkept_variables();
            if cfg!(target_os = "macos") {
                launchd::install(&home, &spec, !args.no_start)
            } else {
                systemd::install(&home, &spec, !args.no_start)
            }
        }
        ServiceCommand::Uninstall if cfg!(target_os = "macos") => launchd::uninstall(&home),
        ServiceCommand::Uninstall => systemd::uninstall(&home),
        ServiceCommand::Status if cfg!(target_os = "macos") => launchd::status(&home),
        ServiceCommand::Status => systemd::status(&home),
    }
}

fn spec(args: &InstallArgs) -> Result<ServiceSpec, String> {
    let overrides = Overrides {
        host: args.host.clone(),
        port: args.port,
        data_dir: args.data_dir.clone(),
        database_url: None,
    };
    let settings = Settings::load(&overrides).map_err(|e| format!("configuration: {e}"))?;
    let binary = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| format!("cannot find this program's path: {e}"))?;
    Ok(ServiceSpec {
        binary,
        data_dir: settings.data_dir.clone(),
        host: settings.server.host.to_string(),
        port: settings.server.port,
        stop_timeout_secs: settings.server.shutdown_timeout_secs + 5,
        hf_home: std::env::var_os("HF_HOME").map(PathBuf::from),
    })
}

/// Variables of this shell the service will not see (they may hold secrets, which stay out of
/// the unit file): they belong in `config.toml`.
fn warn_about_unkept_variables() {
    let kept = [
        "MLX_MANAGER_DATA_DIR",
        "MLX_MANAGER_HOST",
        "MLX_MANAGER_PORT",
    ];
    let unkept: Vec<String> = std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| key.starts_with("MLX_MANAGER_") && !kept.contains(&key.as_str()))
        .collect();
    if !unkept.is_empty() {
        eprintln!(
            "note: the service does not get {}; put those settings in config.toml in the data directory",
            unkept.join(", ")
        );
    }
}

/// Runs a service-manager command; its own message on failure.
fn manager(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(format!(
        "`{program} {}` failed: {}",
        args.join(" "),
        stderr.trim()
    ))
}

/// Writes `text` to `path`, creating its directory.
fn write_definition(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
