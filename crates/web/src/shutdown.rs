//! SIGINT/SIGTERM handling: stop accepting, let in-flight requests finish, but only for so long.

use std::time::Duration;

use tokio::sync::watch;

/// Resolves on the first SIGINT or SIGTERM.
async fn signal_received() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// A shutdown signal that can be awaited from several places.
#[derive(Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

impl Shutdown {
    /// Requested on the first SIGINT or SIGTERM (listened for in the background).
    pub fn on_signals() -> Self {
        Self::when(signal_received())
    }

    /// Requested when `trigger` resolves: for embedders and tests that stop the server
    /// themselves.
    pub fn when(trigger: impl Future<Output = ()> + Send + 'static) -> Self {
        let (sender, receiver) = watch::channel(false);
        tokio::spawn(async move {
            trigger.await;
            tracing::info!("shutdown requested; finishing in-flight requests");
            let _ = sender.send(true);
        });
        Self { receiver }
    }

    pub async fn requested(mut self) {
        let _ = self.receiver.wait_for(|requested| *requested).await;
    }

    /// Resolves `grace` after shutdown was requested: the moment to stop waiting for requests.
    pub async fn deadline(self, grace: Duration) {
        self.requested().await;
        tokio::time::sleep(grace).await;
    }
}
