//! The MLX Manager application as a library: the one composition root ([`Application`]) that
//! the `mlx-manager serve` command, the other CLI commands ([`Services`]), the end-to-end tests
//! and embedders share, and the embedded web UI.
//!
//! ```no_run
//! # async fn run() -> Result<(), mlx_manager::StartupError> {
//! use mlx_manager::{Application, Shutdown};
//! use mlx_manager_core::Settings;
//!
//! let settings = Settings::load(&Default::default())?;
//! let app = Application::build(settings).await?;
//! println!("serving on http://{}", app.local_addr());
//! app.run_until_stopped(Shutdown::on_signals()).await?;
//! # Ok(())
//! # }
//! ```

mod application;
mod connections;
mod error;
mod services;
mod shutdown;
mod ui;

pub use application::{Application, Stopped};
pub use error::StartupError;
pub use services::Services;
pub use shutdown::Shutdown;
