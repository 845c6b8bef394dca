//! The composition root: settings in, a listening server out. `mlx-manager serve`, the tests
//! and embedders all start the application through [`Application::build`].

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use mlx_manager_api::AppState;
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;
use tokio::net::TcpListener;

use crate::connections::ConnectionLimits;
use crate::{Services, Shutdown, StartupError};

/// How long closing the database may take at shutdown.
const DATABASE_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// A started application: services up, listener bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    services: Services,
    grace: Duration,
    limits: ConnectionLimits,
    /// The separate `/metrics` listener, when `metrics_listen` asks for one.
    metrics: Option<(TcpListener, Router)>,
}

/// How the server stopped.
pub enum Stopped {
    /// Every request finished and the database closed.
    Gracefully,
    /// Requests were still running when the grace period ended; the database is left to
    /// close after they have been dropped (drop the runtime, then this).
    Forced(Database),
}

impl Application {
    /// Starts every service and binds `host:port` from the settings (port 0: any free port).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let address = SocketAddr::new(settings.server.host, settings.server.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartupError::Listen { address, source })?;
        Self::build_with_listener(settings, listener).await
    }

    /// [`Application::build`] on a listener the caller bound.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> Result<Self, StartupError> {
        tracing::info!(
            data_dir = %settings.data_dir.display(),
            database = %settings.database.url_redacted(),
            "starting"
        );
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                address: SocketAddr::new(settings.server.host, settings.server.port),
                source,
            })?;
        let services = Services::start(&settings).await?;
        let state = AppState::new(
            services.db.clone(),
            services.auth.clone(),
            services.hub.clone(),
            services.serving.clone(),
            settings.model_api.clone(),
            (services.audit.clone(), services.quotas.clone()),
        );
        let metrics = match settings.server.metrics_listen {
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .await
                    .map_err(|source| StartupError::Listen { address, source })?;
                Some((listener, mlx_manager_api::metrics_app(state.clone())))
            }
            None => None,
        };
        let router =
            mlx_manager_api::app_with_frontend(state, &settings.server, crate::ui::router());
        Ok(Self {
            listener,
            local_addr,
            router,
            services,
            grace: Duration::from_secs(settings.server.shutdown_timeout_secs),
            limits: ConnectionLimits::from_settings(&settings.server),
            metrics,
        })
    }

    /// The address the server listens on (with the port the OS picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until `shutdown` is requested, then stops accepting, lets in-flight requests
    /// finish within the grace period, stops the downloads, unloads the models and closes the
    /// database.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> Result<Stopped, StartupError> {
        let Self {
            listener,
            local_addr,
            router,
            services,
            grace,
            limits,
            metrics,
        } = self;
        if let Some((listener, router)) = metrics {
            serve_metrics(listener, router, shutdown.clone());
        }
        tracing::info!(
            url = %format!("http://{local_addr}"),
            max_connections = limits.max_total,
            max_connections_per_client = limits.max_per_client,
            "listening"
        );
        // Stopping the downloads first also ends their progress streams, which would otherwise
        // keep the graceful shutdown waiting.
        let stop_downloads = {
            let shutdown = shutdown.clone();
            let downloads = services.hub.downloads().clone();
            async move {
                shutdown.requested().await;
                downloads.shutdown(grace).await;
            }
        };
        // Auto-start profiles load once the server answers, so startup stays fast.
        services.serving.start_auto_start_profiles();
        let stop_models = {
            let shutdown = shutdown.clone();
            let serving = services.serving.clone();
            async move {
                shutdown.requested().await;
                // Cancels running generations (ending their streams) and frees the models.
                if tokio::time::timeout(grace, serving.shutdown())
                    .await
                    .is_err()
                {
                    tracing::warn!("models still unloading after the grace period");
                }
            }
        };
        let stopping = async move {
            tokio::join!(stop_downloads, stop_models);
        };
        let server = crate::connections::serve(listener, router, limits, stopping);
        tokio::select! {
            () = server => {},
            () = shutdown.deadline(grace) => {
                tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the grace period; cutting them off");
                return Ok(Stopped::Forced(services.db));
            }
        }
        // What the last requests did is written before the database closes.
        if tokio::time::timeout(DATABASE_CLOSE_TIMEOUT, services.audit.flush())
            .await
            .is_err()
        {
            tracing::warn!("the audit log did not finish writing in time");
        }
        // A hung database must not keep the process alive.
        match tokio::time::timeout(DATABASE_CLOSE_TIMEOUT, services.db.close()).await {
            Ok(closed) => closed?,
            Err(_) => tracing::warn!("the database did not close in time; exiting anyway"),
        }
        tracing::info!("stopped");
        Ok(Stopped::Gracefully)
    }
}

/// Answers scrapers on the metrics listener until shutdown.
fn serve_metrics(listener: TcpListener, router: Router, shutdown: Shutdown) {
    let address = listener.local_addr().ok();
    tracing::info!(address = ?address, "metrics listening");
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.requested().await })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "the metrics listener stopped");
        }
    });
}
