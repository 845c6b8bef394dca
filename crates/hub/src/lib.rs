//! Everything Hugging Face for MLX Manager: the hub's HTTP API (search, model info, files), the
//! local cache layout shared with Python tools, what a model is (characteristics, search
//! badges, weights size), and downloads (the [`downloads::Downloader`] that fetches one
//! repository, the [`downloads::DownloadManager`] that runs persisted jobs).
//!
//! [`HubService`] is what the server's handlers call; the CLI uses the same [`ModelCatalog`]
//! and [`downloads::Downloader`] it is made of. Nothing here serves HTTP; the hub
//! is only a remote this crate talks to.

mod cache;
mod catalog;
mod characteristics;
mod client;
pub mod downloads;
mod error;
mod local;
mod search;
mod service;
mod token_settings;

use mlx_manager_core::domain::RepoId;

pub use cache::{HubCache, RepoCache};
pub use catalog::{ModelCatalog, SearchRequest};
pub use characteristics::{ModelCharacteristics, architecture_family, chat_template_from};
pub(crate) use client::HUB as HUB_NAME;
pub use client::{FileBody, HubClient, HubModel, LfsInfo, SafetensorsInfo, SearchQuery, TreeEntry};
pub use error::HubError;
pub use local::{LocalModel, local_model, local_model_at, local_models, read_characteristics};
pub use search::{Badges, SearchResult, SearchSort, search_local, search_results};
pub use service::HubService;
pub use token_settings::{HubTokenSettings, HubTokenStatus};
