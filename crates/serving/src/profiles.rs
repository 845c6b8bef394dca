//! Profiles through the service: who may change them, whether their model is in the cache, and
//! that a context length fits the model's.

use mlx_manager_core::domain::profile::{ProfileDraft, ProfilePatchDraft};
use mlx_manager_core::domain::{Profile, ProfileName, ProfilePatch, ProfileSpec, User};
use mlx_manager_core::{CoreError, InvalidField};
use mlx_manager_hub::{HubCache, local_model_at};
use mlx_manager_inference::ModelFootprint;

use crate::service::model_key;
use crate::{Serving, ServingError};

/// A profile and whether its model is ready in the local cache.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileView {
    pub profile: Profile,
    pub model_available: bool,
}

impl Serving {
    /// Every profile, by name.
    pub async fn list_profiles(&self) -> Result<Vec<ProfileView>, ServingError> {
        let profiles = self.inner.profiles.list().await?;
        self.with_availability(profiles).await
    }

    pub async fn get_profile(&self, id: i32) -> Result<ProfileView, ServingError> {
        let profile = self.inner.profiles.get(id).await?;
        Ok(self.with_availability(vec![profile]).await?.remove(0))
    }

    /// Creates a profile (a taken name is a conflict). Admins, or members while
    /// `members_manage_models` is on.
    pub async fn create_profile(
        &self,
        actor: &User,
        draft: ProfileDraft,
    ) -> Result<ProfileView, ServingError> {
        self.inner.permissions.check_manage_profiles(actor).await?;
        let spec = ProfileSpec::parse(draft)?;
        self.check_context(&spec).await?;
        let profile = self.inner.profiles.create(&spec, Some(actor.id)).await?;
        self.view(profile).await
    }

    /// Replaces everything a user sets on a profile.
    pub async fn replace_profile(
        &self,
        actor: &User,
        id: i32,
        draft: ProfileDraft,
    ) -> Result<ProfileView, ServingError> {
        self.inner.permissions.check_manage_profiles(actor).await?;
        let spec = ProfileSpec::parse(draft)?;
        self.check_context(&spec).await?;
        let profile = self.inner.profiles.replace(id, &spec).await?;
        self.view(profile).await
    }

    /// Changes the fields present in `draft`.
    pub async fn patch_profile(
        &self,
        actor: &User,
        id: i32,
        draft: ProfilePatchDraft,
    ) -> Result<ProfileView, ServingError> {
        self.inner.permissions.check_manage_profiles(actor).await?;
        let patch = ProfilePatch::parse(draft)?;
        let existing = self.inner.profiles.get(id).await?;
        let recheck = patch.touches_model_or_context();
        let spec = existing.spec.patched(patch);
        if recheck {
            self.check_context(&spec).await?;
        }
        let profile = self.inner.profiles.replace(id, &spec).await?;
        self.view(profile).await
    }

    /// Deletes a profile; when its model is loaded and no other profile names that model, the
    /// model is stopped first (its running requests finish).
    pub async fn delete_profile(&self, actor: &User, id: i32) -> Result<(), ServingError> {
        self.inner.permissions.check_manage_profiles(actor).await?;
        let profile = self.inner.profiles.get(id).await?;
        let key = model_key(&profile);
        let shared = self
            .inner
            .profiles
            .list()
            .await?
            .iter()
            .any(|other| other.id != id && model_key(other) == key);
        if !shared && self.inner.pool.status(&key).is_some() {
            match self.inner.pool.stop(&key, false).await {
                Ok(()) | Err(mlx_manager_inference::InferenceError::NotLoaded { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(self.inner.profiles.delete(id).await?)
    }

    /// A copy of a profile under a new name, not started at startup.
    pub async fn duplicate_profile(
        &self,
        actor: &User,
        id: i32,
        name: &str,
    ) -> Result<ProfileView, ServingError> {
        self.inner.permissions.check_manage_profiles(actor).await?;
        let name = ProfileName::parse(name).map_err(|e| CoreError::InvalidFields(vec![e]))?;
        let original = self.inner.profiles.get(id).await?;
        let spec = ProfileSpec {
            name,
            auto_start: false,
            ..original.spec
        };
        let profile = self.inner.profiles.create(&spec, Some(actor.id)).await?;
        self.view(profile).await
    }

    async fn view(&self, profile: Profile) -> Result<ProfileView, ServingError> {
        Ok(self.with_availability(vec![profile]).await?.remove(0))
    }

    async fn with_availability(
        &self,
        profiles: Vec<Profile>,
    ) -> Result<Vec<ProfileView>, ServingError> {
        let cache = self.inner.hub.catalog().cache().clone();
        run_blocking(move || {
            profiles
                .into_iter()
                .map(|profile| ProfileView {
                    model_available: model_dir(&cache, &profile).is_some(),
                    profile,
                })
                .collect()
        })
        .await
    }

    /// A context length above the model's is refused when the model is in the cache (it is
    /// checked again at start when it is not yet).
    async fn check_context(&self, spec: &ProfileSpec) -> Result<(), ServingError> {
        let Some(requested) = spec.context_length else {
            return Ok(());
        };
        let cache = self.inner.hub.catalog().cache().clone();
        let probe = Profile {
            id: 0,
            spec: spec.clone(),
            created_by: None,
            created_at: 0,
            updated_at: 0,
        };
        let model_context = run_blocking(move || {
            model_dir(&cache, &probe)
                .and_then(|dir| ModelFootprint::read(&dir).ok())
                .and_then(|footprint| footprint.context_length)
        })
        .await?;
        match model_context {
            Some(max) if requested.get() as usize > max => {
                Err(CoreError::InvalidFields(vec![context_too_long(requested.get(), max)]).into())
            }
            _ => Ok(()),
        }
    }
}

pub(crate) fn context_too_long(requested: u32, max: usize) -> InvalidField {
    InvalidField::new(
        "context_length",
        format!("{requested} is more than the model's context of {max} tokens"),
    )
}

/// The ready snapshot of the profile's model (at its revision) in the cache.
pub(crate) fn model_dir(cache: &HubCache, profile: &Profile) -> Option<std::path::PathBuf> {
    local_model_at(cache, &profile.spec.model, profile.spec.revision.as_ref())
        .filter(|model| model.ready)
        .map(|model| model.path)
}

pub(crate) async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServingError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServingError::TaskFailed(format!("a blocking task stopped: {e}")))
}
