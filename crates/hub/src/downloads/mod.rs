//! Model downloads into the hub cache: the downloader that fetches one repository (used by the CLI's
//! `pull` directly) and the manager that runs persisted jobs for the server.

mod activity;
mod checksum;
mod job;
mod manager;
mod progress;
mod run;
mod snapshot;
mod transfer;
mod writer;

pub use activity::DownloadActivity;
pub use manager::DownloadManager;
pub use progress::{Counters, RateMeter, eta_secs};
pub use run::{Completed, Downloader, RunError};
pub use snapshot::DownloadSnapshot;

use mlx_manager_core::domain::DownloadStatus;
