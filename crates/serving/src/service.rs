//! [`Serving`]: the service the API and the CLI call to run models — profiles, the servers
//! (profiles whose model is loaded), the pool's settings and memory. One struct, built once by
//! the composition root; its operations live in files by idea (`profiles`, `servers`,
//! `pool_config`).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;

use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{PoolSettingsRepository, ProfileRepository};
use mlx_manager_core::domain::{Profile, RepoId, User};
use mlx_manager_core::memory::{MemoryBudget, SystemMemory};
use mlx_manager_core::permissions::PermissionService;
use mlx_manager_hub::HubService;
use mlx_manager_inference::ComputeDevice;
use mlx_manager_inference::generation::pool::{
    ModelPool, ModelState, PoolChange, PoolEvent, WorkerLoader,
};

use crate::ServingError;
use crate::pool_config::pool_limits;

#[derive(Clone)]
pub struct Serving {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub pool: ModelPool<WorkerLoader>,
    pub profiles: ProfileRepository,
    pub pool_settings: PoolSettingsRepository,
    pub permissions: PermissionService,
    pub hub: HubService,
    /// The memory limit when the settings set none: 75 % of RAM, or MLX's recommended working
    /// set on a Mac's GPU.
    pub default_memory_limit_bytes: u64,
    pub physical_memory_bytes: u64,
    /// When the service was built (the server's uptime).
    pub started: std::time::Instant,
}

impl Serving {
    /// Reads the pool's settings and builds the pool (nothing loads yet; see
    /// [`Serving::start_auto_start_profiles`]). On a GPU, MLX's memory and cache limits are set
    /// from the budget, so an allocation beyond it fails (and the pool evicts and retries)
    /// instead of swapping the machine to a halt. Call inside a Tokio runtime.
    pub async fn new(db: Database, hub: HubService) -> Result<Self, ServingError> {
        let pool_settings = PoolSettingsRepository::new(db.clone());
        let settings = pool_settings.get().await?;
        let physical_memory_bytes = SystemMemory::read().total_bytes;
        let default_memory_limit_bytes = ComputeDevice::recommended_working_set_bytes()
            .unwrap_or_else(|| MemoryBudget::of_total(physical_memory_bytes).budget_bytes);
        let limits = pool_limits(&settings, default_memory_limit_bytes);
        ComputeDevice::apply_memory_budget(limits.memory_limit_bytes)?;
        let pool = ModelPool::new(WorkerLoader, limits);
        log_lifecycle(pool.subscribe());
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                profiles: ProfileRepository::new(db.clone()),
                pool_settings,
                permissions: PermissionService::new(db),
                hub,
                default_memory_limit_bytes,
                physical_memory_bytes,
                started: std::time::Instant::now(),
            }),
        })
    }

    /// The pool itself (for generation by the model API, and for tests).
    pub fn pool(&self) -> &ModelPool<WorkerLoader> {
        &self.inner.pool
    }

    /// Deletes a model from the cache: refused while it is loaded (stop its servers first) or
    /// downloading. Admins, or members while `members_manage_models` is on.
    pub async fn delete_model(&self, actor: &User, repo: &RepoId) -> Result<(), ServingError> {
        self.inner.permissions.check_manage_models(actor).await?;
        let snapshot = self.inner.pool.snapshot();
        let prefix = format!("{repo}@");
        if let Some(loaded) = snapshot
            .models
            .iter()
            .find(|m| m.key == repo.as_str() || m.key.starts_with(&prefix))
        {
            return Err(ServingError::Conflict(format!(
                "{repo} is loaded ({}); stop its servers first",
                loaded.state.name()
            )));
        }
        Ok(self.inner.hub.delete_local_model(actor, repo).await?)
    }

    /// Stops every model: running requests are cancelled and the memory freed. The caller
    /// bounds the wait.
    pub async fn shutdown(&self) {
        self.inner.pool.shutdown().await;
    }
}

/// The pool's name for a profile's model: its repository id, with the revision when one is set.
pub(crate) fn model_key(profile: &Profile) -> String {
    match &profile.spec.revision {
        Some(revision) if revision.as_str() != "main" => {
            format!("{}@{}", profile.spec.model, revision)
        }
        _ => profile.spec.model.to_string(),
    }
}

/// Logs each model's load, failure and unload (the pool itself does not log).
fn log_lifecycle(mut events: tokio::sync::broadcast::Receiver<PoolEvent>) {
    tokio::spawn(async move {
        let mut states: HashMap<String, &'static str> = HashMap::new();
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "model lifecycle log fell behind");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            match event.change {
                PoolChange::Model(model) => {
                    let state = model.state.name();
                    if states.insert(model.key.clone(), state) == Some(state) {
                        continue;
                    }
                    match &model.state {
                        ModelState::Ready => tracing::info!(
                            model = %model.key,
                            memory_bytes = model.memory_bytes,
                            estimated_bytes = model.need_bytes,
                            "model loaded"
                        ),
                        ModelState::Failed { error } => {
                            tracing::warn!(model = %model.key, %error, "model load failed")
                        }
                        ModelState::Loading { .. } => {
                            tracing::info!(model = %model.key, estimated_bytes = model.need_bytes, "model loading")
                        }
                        ModelState::Unloading => {
                            tracing::info!(model = %model.key, "model unloading")
                        }
                    }
                }
                PoolChange::Removed { key } => {
                    states.remove(&key);
                    tracing::info!(model = %key, "model unloaded");
                }
                PoolChange::Limits(limits) => tracing::info!(
                    memory_limit_bytes = limits.memory_limit_bytes,
                    max_loaded_models = limits.max_loaded_models,
                    "pool limits changed"
                ),
            }
        }
    });
}
