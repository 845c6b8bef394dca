//! `mlx-manager serve`: settings, data dir, database, listener, graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use mlx_manager_api::AppState;
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;
use mlx_manager_core::downloads::DownloadManager;

use crate::cli::ServeArgs;
use crate::shutdown::Shutdown;

/// Exit code for configuration mistakes (as clap uses for usage errors).
const EXIT_CONFIG: u8 = 2;
/// How long closing the database may take at shutdown.
const DATABASE_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

pub fn run(args: ServeArgs) -> ExitCode {
    let settings = match Settings::load(&args.overrides()) {
        Ok(settings) => settings,
        Err(error) => return fail(EXIT_CONFIG, &format!("configuration: {error}")),
    };
    if let Err(error) = crate::logging::init(&settings) {
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

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

/// How the server stopped.
enum Stopped {
    /// Every request finished and the database closed.
    Gracefully,
    /// Requests were still running when the grace period ended; the database is left to
    /// close after they have been dropped.
    Forced(Database),
}

async fn serve(settings: Settings) -> Result<Stopped, String> {
    prepare_data_dir(&settings.data_dir)?;
    tracing::info!(
        data_dir = %settings.data_dir.display(),
        database = %settings.database_url_redacted(),
        "starting"
    );
    let db = Database::connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let auth = crate::auth_setup::auth_service(&settings, db.clone())?;
    let downloads = DownloadManager::start(db.clone(), &settings)
        .await
        .map_err(|e| format!("cannot start downloads: {e}"))?;

    let address = SocketAddr::new(settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;

    let grace = Duration::from_secs(settings.shutdown_timeout_secs);
    let app = mlx_manager_api::app_with_frontend(
        AppState::new(db.clone(), settings, auth, downloads.clone()),
        crate::ui::router(),
    );
    let shutdown = Shutdown::listen();
    // Stopping the downloads first also ends their progress streams, which would otherwise keep
    // the graceful shutdown waiting.
    let stop_downloads = {
        let shutdown = shutdown.clone();
        let downloads = downloads.clone();
        async move {
            shutdown.requested().await;
            downloads.shutdown(grace).await;
        }
    };

    // The one line on stdout: tests and scripts read the URL (and the port picked for port 0).
    println!(
        "mlx-manager {} listening on http://{local}",
        env!("CARGO_PKG_VERSION")
    );
    tracing::info!(url = %format!("http://{local}"), "listening");

    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop_downloads);
    tokio::select! {
        result = server => result.map_err(|e| format!("server error: {e}"))?,
        () = shutdown.deadline(grace) => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; cutting them off");
            return Ok(Stopped::Forced(db));
        }
    }

    // A hung database must not keep the process alive.
    match tokio::time::timeout(DATABASE_CLOSE_TIMEOUT, db.close()).await {
        Ok(closed) => closed.map_err(|e| e.to_string())?,
        Err(_) => tracing::warn!("the database did not close in time; exiting anyway"),
    }
    tracing::info!("stopped");
    Ok(Stopped::Gracefully)
}

/// Creates the data directory (owner-only) on first run and checks that it is writable.
fn prepare_data_dir(dir: &Path) -> Result<(), String> {
    let describe = |e: std::io::Error| format!("cannot use data directory {}: {e}", dir.display());
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(describe)?;
    } else if !dir.is_dir() {
        return Err(format!(
            "cannot use data directory {}: not a directory",
            dir.display()
        ));
    }
    let probe = dir.join(".write-check");
    std::fs::write(&probe, b"").map_err(describe)?;
    std::fs::remove_file(&probe).map_err(describe)?;
    Ok(())
}
