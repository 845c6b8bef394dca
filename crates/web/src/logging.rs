use std::io::IsTerminal;

use mlx_manager_core::settings::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;

/// Logs go to stderr; stdout carries only what the user asked for (the URL served).
pub fn init(settings: &LogSettings) -> Result<(), String> {
    let filter = EnvFilter::try_new(&settings.level)
        .map_err(|e| format!("invalid setting `log_level`: {e}"))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    installed.map_err(|e| format!("cannot initialise logging: {e}"))
}
