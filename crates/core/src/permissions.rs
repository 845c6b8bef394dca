//! Who may manage the shared model cache and the profiles: the rules, over the permissions
//! admins set.
//!
//! Admins may do everything. Members may start downloads and delete models only while
//! `members_manage_models` is on, and then control (pause, resume, cancel) only the downloads
//! they asked for. Reading (search, the local list, the downloads and their progress) is open
//! to every approved user and needs no check here. Using a loaded model is open to every
//! approved user too; loading one on demand is open to members while `members_load_models` is
//! on (the default).

use crate::CoreError;
use crate::db::Database;
use crate::db::repositories::PermissionRepository;
use crate::domain::{Permission, Permissions, User};

#[derive(Clone)]
pub struct PermissionService {
    repository: PermissionRepository,
}

impl PermissionService {
    pub fn new(db: Database) -> Self {
        Self {
            repository: PermissionRepository::new(db),
        }
    }

    /// The current permissions: anyone signed in may read them (a member's UI says why an
    /// action is off); only admins change them.
    pub async fn view(&self) -> Result<Permissions, CoreError> {
        self.repository.get().await
    }

    /// Sets every permission (admins only); returns the new state.
    pub async fn update(
        &self,
        actor: &User,
        permissions: Permissions,
    ) -> Result<Permissions, CoreError> {
        require_admin(actor)?;
        self.repository.set(&permissions, Some(actor.id)).await
    }

    /// Starting downloads and deleting models: admins, and members while
    /// `members_manage_models` is on.
    pub async fn check_manage_models(&self, actor: &User) -> Result<(), CoreError> {
        self.check_granted(actor, Permission::MembersManageModels, "managing models")
            .await
    }

    /// Creating, changing and deleting profiles (and, with the pool, starting and stopping
    /// them): admins, and members while `members_manage_models` is on.
    pub async fn check_manage_profiles(&self, actor: &User) -> Result<(), CoreError> {
        self.check_granted(actor, Permission::MembersManageModels, "changing profiles")
            .await
    }

    /// Starting, stopping and restarting models (servers): admins, and members while
    /// `members_manage_models` is on.
    pub async fn check_control_servers(&self, actor: &User) -> Result<(), CoreError> {
        self.check_granted(
            actor,
            Permission::MembersManageModels,
            "starting and stopping models",
        )
        .await
    }

    /// Loading a model that is not loaded by naming it in a model API request: admins, and
    /// members while `members_load_models` is on.
    pub async fn check_load_models(&self, actor: &User) -> Result<(), CoreError> {
        self.check_granted(
            actor,
            Permission::MembersLoadModels,
            "loading a model that is not loaded",
        )
        .await
    }

    async fn check_granted(
        &self,
        actor: &User,
        permission: Permission,
        action: &str,
    ) -> Result<(), CoreError> {
        if actor.is_admin {
            return Ok(());
        }
        if self.repository.get().await?.granted(permission) {
            return Ok(());
        }
        Err(CoreError::Forbidden(format!(
            "{action} needs an administrator (or the {} permission)",
            permission.name()
        )))
    }

    /// Pausing, resuming or cancelling a download: admins any, members with
    /// `members_manage_models` only those they asked for.
    pub async fn check_control_download(
        &self,
        actor: &User,
        requested_by: Option<i32>,
    ) -> Result<(), CoreError> {
        self.check_manage_models(actor).await?;
        if actor.is_admin || requested_by == Some(actor.id) {
            return Ok(());
        }
        Err(CoreError::Forbidden(
            "this download was requested by someone else; only they or an administrator can \
             control it"
                .into(),
        ))
    }
}

/// Refuses anyone but an admin.
pub fn require_admin(actor: &User) -> Result<(), CoreError> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "this action needs an administrator".into(),
        ))
    }
}
