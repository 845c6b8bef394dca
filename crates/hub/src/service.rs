//! The hub as the server uses it: the catalog plus the persisted downloads, and the rules that
//! join them (a model being downloaded is not listed, nor deleted).

use mlx_manager_core::db::Database;
use mlx_manager_core::memory::MemoryBudget;
use mlx_manager_core::settings::{DownloadSettings, HubSettings};

use crate::downloads::{DownloadManager, Downloader};
use crate::{HubError, LocalModel, ModelCatalog, RepoId};

/// Search, model facts, the local cache and downloads.
#[derive(Clone)]
pub struct HubService {
    catalog: ModelCatalog,
    downloads: DownloadManager,
}

impl HubService {
    /// Builds the service and resumes the download jobs that were running at the last stop.
    pub async fn start(
        db: Database,
        hub: &HubSettings,
        downloads: &DownloadSettings,
        budget: MemoryBudget,
    ) -> Result<Self, HubError> {
        let downloader = Downloader::new(hub, downloads);
        let catalog = ModelCatalog::with(
            downloader.client.clone(),
            downloader.cache.clone(),
            hub.offline,
            budget,
        );
        let downloads = DownloadManager::start(db, downloader, downloads, hub.offline).await?;
        Ok(Self { catalog, downloads })
    }

    /// Search and model facts.
    pub fn catalog(&self) -> &ModelCatalog {
        &self.catalog
    }

    /// The persisted download jobs.
    pub fn downloads(&self) -> &DownloadManager {
        &self.downloads
    }

    /// Ready models in the cache, whoever downloaded them (Python tools included); models still
    /// downloading, or with missing or partial files, are left out.
    pub async fn local_models(&self) -> Result<Vec<LocalModel>, HubError> {
        let models = self.catalog.cached_models().await?;
        Ok(models
            .into_iter()
            .filter(|m| m.ready && !self.downloads.is_downloading(&m.repo_id))
            .collect())
    }

    /// Deletes a model from the cache, unless a download of it is open.
    pub async fn delete_local_model(&self, repo: &RepoId) -> Result<(), HubError> {
        if self.downloads.has_open_job(repo).await? {
            return Err(HubError::Conflict(format!(
                "{repo} has an open download; cancel it first"
            )));
        }
        self.catalog.delete(repo).await.map(|_| ())
    }
}
