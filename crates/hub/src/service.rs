//! The hub as the server uses it: the catalog plus the persisted downloads, and the rules that
//! join them (a model being downloaded is not listed, nor deleted) and who may change the shared
//! cache (see [`PermissionService`]).

use mlx_manager_core::db::Database;
use mlx_manager_core::domain::{Revision, User};
use mlx_manager_core::memory::MemoryBudget;
use mlx_manager_core::permissions::PermissionService;
use mlx_manager_core::secrets::SecretVault;
use mlx_manager_core::settings::{DownloadSettings, HubSettings};

use crate::downloads::{DownloadManager, DownloadSnapshot, Downloader};
use crate::token_settings::HubTokenSettings;
use crate::{HubError, LocalModel, ModelCatalog, RepoId};

/// Search, model facts, the local cache and downloads.
#[derive(Clone)]
pub struct HubService {
    catalog: ModelCatalog,
    downloads: DownloadManager,
    permissions: PermissionService,
    token: HubTokenSettings,
}

impl HubService {
    /// Builds the service and resumes the download jobs that were running at the last stop.
    pub async fn start(
        db: Database,
        hub: &HubSettings,
        downloads: &DownloadSettings,
        budget: MemoryBudget,
        vault: SecretVault,
    ) -> Result<Self, HubError> {
        let downloader = Downloader::new(hub, downloads);
        let token = HubTokenSettings::load(downloader.client.clone(), vault, hub.offline).await;
        let catalog = ModelCatalog::with(
            downloader.client.clone(),
            downloader.cache.clone(),
            hub.offline,
            budget,
        );
        let permissions = PermissionService::new(db.clone());
        let downloads = DownloadManager::start(db, downloader, downloads, hub.offline).await?;
        Ok(Self {
            catalog,
            downloads,
            permissions,
            token,
        })
    }

    /// The hub token, as admins manage it.
    pub fn token(&self) -> &HubTokenSettings {
        &self.token
    }

    /// Search and model facts.
    pub fn catalog(&self) -> &ModelCatalog {
        &self.catalog
    }

    /// The persisted download jobs, to read (listing and progress are open to every user); the
    /// changes go through the methods below, which check who asks.
    pub fn downloads(&self) -> &DownloadManager {
        &self.downloads
    }

    /// Starts downloading a repository for `actor`, or returns its open job (`created` tells
    /// which). Admins, or members while `members_manage_models` is on.
    pub async fn start_download(
        &self,
        actor: &User,
        repo: &RepoId,
        revision: &Revision,
    ) -> Result<(DownloadSnapshot, bool), HubError> {
        self.permissions.check_manage_models(actor).await?;
        self.downloads.request(repo, revision, Some(actor.id)).await
    }

    /// Pauses a download: admins any, members with the permission their own.
    pub async fn pause_download(
        &self,
        actor: &User,
        id: i32,
    ) -> Result<DownloadSnapshot, HubError> {
        self.check_control(actor, id).await?;
        self.downloads.pause(id).await
    }

    /// Resumes a paused or failed download: admins any, members with the permission their own.
    pub async fn resume_download(
        &self,
        actor: &User,
        id: i32,
    ) -> Result<DownloadSnapshot, HubError> {
        self.check_control(actor, id).await?;
        self.downloads.resume(id).await
    }

    /// Cancels a download and removes its partial data: admins any, members with the permission
    /// their own.
    pub async fn cancel_download(
        &self,
        actor: &User,
        id: i32,
    ) -> Result<DownloadSnapshot, HubError> {
        self.check_control(actor, id).await?;
        self.downloads.cancel(id).await
    }

    /// Refused unless `actor` may manage models; then not found if the download does not exist;
    /// then refused unless `actor` is an admin or asked for it.
    async fn check_control(&self, actor: &User, id: i32) -> Result<(), HubError> {
        self.permissions.check_manage_models(actor).await?;
        let requested_by = self.downloads.requested_by(id).await?;
        self.permissions
            .check_control_download(actor, requested_by)
            .await?;
        Ok(())
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

    /// Deletes a model from the cache, unless a download of it is open. Admins, or members while
    /// `members_manage_models` is on (the cache is shared: any model, whoever downloaded it).
    pub async fn delete_local_model(&self, actor: &User, repo: &RepoId) -> Result<(), HubError> {
        self.permissions.check_manage_models(actor).await?;
        if self.downloads.has_open_job(repo).await? {
            return Err(HubError::Conflict(format!(
                "{repo} has an open download; cancel it first"
            )));
        }
        self.catalog.delete(repo).await.map(|_| ())
    }
}
