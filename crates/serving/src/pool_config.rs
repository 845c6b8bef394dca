//! The pool's settings: reading and changing them (admins), applied live.

use std::time::Duration;

use mlx_manager_core::CoreError;
use mlx_manager_core::domain::profile::KeepAlive as ProfileKeepAlive;
use mlx_manager_core::domain::{PoolSettings, PoolSettingsDraft, User};
use mlx_manager_inference::ComputeDevice;
use mlx_manager_inference::generation::pool::{KeepAlive, PoolLimits};

use crate::{Serving, ServingError};

/// The settings and what they mean on this machine.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSettingsView {
    pub settings: PoolSettings,
    /// The limit in force (the setting, else the default budget).
    pub effective_memory_limit_bytes: u64,
    pub default_memory_limit_bytes: u64,
}

impl Serving {
    /// The pool's settings. Admins only.
    pub async fn pool_settings(&self, actor: &User) -> Result<PoolSettingsView, ServingError> {
        require_admin(actor)?;
        let settings = self.inner.pool_settings.get().await?;
        Ok(self.settings_view(settings))
    }

    /// Stores new settings and applies them at once: a lower limit evicts idle models now.
    /// Admins only.
    pub async fn update_pool_settings(
        &self,
        actor: &User,
        draft: PoolSettingsDraft,
    ) -> Result<PoolSettingsView, ServingError> {
        require_admin(actor)?;
        let settings = PoolSettings::parse(draft, self.inner.physical_memory_bytes)?;
        let settings = self
            .inner
            .pool_settings
            .set(&settings, Some(actor.id))
            .await?;
        let limits = pool_limits(&settings, self.inner.default_memory_limit_bytes);
        ComputeDevice::apply_memory_budget(limits.memory_limit_bytes)?;
        self.inner.pool.set_limits(limits);
        Ok(self.settings_view(settings))
    }

    fn settings_view(&self, settings: PoolSettings) -> PoolSettingsView {
        PoolSettingsView {
            effective_memory_limit_bytes: settings
                .memory_limit_bytes
                .unwrap_or(self.inner.default_memory_limit_bytes),
            default_memory_limit_bytes: self.inner.default_memory_limit_bytes,
            settings,
        }
    }
}

fn require_admin(actor: &User) -> Result<(), CoreError> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "the pool's settings are for administrators".into(),
        ))
    }
}

pub(crate) fn pool_limits(settings: &PoolSettings, default_memory_limit: u64) -> PoolLimits {
    PoolLimits {
        memory_limit_bytes: settings.memory_limit_bytes.unwrap_or(default_memory_limit),
        max_loaded_models: settings.max_loaded_models as usize,
        max_queued_requests: settings.max_queued_requests as usize,
        max_batch_size: settings.max_batch_size as usize,
        queue_timeout: Duration::from_secs(settings.queue_timeout_secs.into()),
        default_keep_alive: keep_alive(settings.default_keep_alive),
    }
}

/// A profile's (or setting's) keep-alive as the pool counts it.
pub(crate) fn keep_alive(keep_alive: ProfileKeepAlive) -> KeepAlive {
    match keep_alive {
        ProfileKeepAlive::Forever => KeepAlive::Forever,
        ProfileKeepAlive::UnloadAtOnce => KeepAlive::For(Duration::ZERO),
        ProfileKeepAlive::For(duration) => KeepAlive::For(duration),
    }
}
