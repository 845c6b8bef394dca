//! `mlx-manager serve`: settings, logging, the runtime, then the application until a signal.

use std::process::ExitCode;
use std::time::Duration;

use mlx_manager::{Application, Shutdown, Stopped};
use mlx_manager_core::Settings;

use crate::cli::ServeArgs;

/// Exit code for configuration mistakes (as clap uses for usage errors).
const EXIT_CONFIG: u8 = 2;

pub fn run(args: ServeArgs) -> ExitCode {
    let settings = match Settings::load(&args.overrides()) {
        Ok(settings) => settings,
        Err(error) => return fail(EXIT_CONFIG, &format!("configuration: {error}")),
    };
    if let Err(error) = crate::logging::init(&settings.log) {
        return fail(EXIT_CONFIG, &format!("configuration: {error}"));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(1, &format!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(serve(settings)) {
        Ok(Stopped::Gracefully) => ExitCode::SUCCESS,
        Ok(Stopped::Forced(db)) => {
            // Dropping the runtime's tasks cuts the requests that outlived the grace period;
            // then the pool goes (SQLite still checkpoints as its connections close).
            runtime.shutdown_timeout(Duration::from_millis(100));
            drop(db);
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(message) => fail(1, &message),
    }
}

async fn serve(settings: Settings) -> Result<Stopped, String> {
    let app = Application::build(settings)
        .await
        .map_err(|e| e.to_string())?;
    // The one line on stdout: tests and scripts read the URL (and the port picked for port 0).
    println!(
        "mlx-manager {} listening on http://{}",
        env!("CARGO_PKG_VERSION"),
        app.local_addr()
    );
    // On the console only, never in the log: it is a credential until the first admin exists.
    if let Some((token, path)) = app.services().auth.pending_setup_token() {
        println!(
            "no account exists yet: the first one becomes the administrator and needs the setup \
             token {token} (also in {})",
            path.display()
        );
    }
    app.run_until_stopped(Shutdown::on_signals())
        .await
        .map_err(|e| e.to_string())
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}
