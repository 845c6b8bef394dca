//! Administration of users (callers are admins; the API layer checks that).

use mlx_manager_core::db::repositories::{NewUser, UserChanges};
use mlx_manager_core::domain::{ApiKey, Email, User, UserStatus};

use super::{AuthService, audit, personal_inputs};
use crate::AuthError;

/// The pending accounts, for the admin's warning about mass registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingSummary {
    pub count: u64,
    /// The cap at which registration closes; `None` when there is none.
    pub limit: Option<u64>,
    /// At or beyond four fifths of the cap.
    pub near_limit: bool,
    pub registration_open: bool,
}

/// What an admin may change about a user; `None` leaves it.
#[derive(Debug, Default)]
pub struct UserEdit {
    pub email: Option<String>,
    pub is_admin: Option<bool>,
    pub status: Option<UserStatus>,
}

impl AuthService {
    pub async fn list_users(&self, status: Option<UserStatus>) -> Result<Vec<User>, AuthError> {
        Ok(self.inner.users.list(status).await?)
    }

    pub async fn pending_count(&self) -> Result<u64, AuthError> {
        Ok(self
            .inner
            .users
            .count_with_status(UserStatus::Pending)
            .await?)
    }

    /// How many accounts wait for approval, against the cap at which registration closes.
    pub async fn pending_summary(&self) -> Result<PendingSummary, AuthError> {
        let count = self.pending_count().await?;
        let limits = self.inner.registration_limits;
        let limit = (limits.max_pending > 0).then_some(limits.max_pending);
        Ok(PendingSummary {
            count,
            limit,
            near_limit: limit.is_some_and(|_| count >= limits.warn_at()),
            registration_open: limit.is_none_or(|limit| count < limit),
        })
    }

    /// Creates an approved user directly.
    pub async fn create_user(
        &self,
        actor: &User,
        email: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<User, AuthError> {
        let email = Email::parse(email)?;
        self.ensure_not_look_alike(&email, None).await?;
        self.inner
            .hasher
            .check_new_password(password, &personal_inputs(email.as_str()))
            .await?;
        let password_hash = self.inner.hasher.hash(password).await?;
        let user = self
            .inner
            .users
            .create(NewUser {
                email,
                password_hash,
                is_admin,
                status: UserStatus::Approved,
                approved_by: Some(actor.id),
            })
            .await?;
        audit!(
            "user.created",
            actor_id = actor.id,
            user_id = user.id,
            admin = is_admin
        );
        Ok(user)
    }

    /// Edits a user; refused when no approved admin would remain.
    pub async fn edit_user(
        &self,
        actor: &User,
        id: i32,
        edit: UserEdit,
    ) -> Result<User, AuthError> {
        let changes = UserChanges {
            email: edit.email.as_deref().map(Email::parse).transpose()?,
            is_admin: edit.is_admin,
            status: edit.status,
            approved_by: Some(actor.id),
            password_hash: None,
        };
        let before = self.inner.users.find_by_id(id).await?;
        if let Some(email) = changes
            .email
            .as_ref()
            .filter(|email| **email != before.email)
        {
            self.ensure_not_look_alike(email, Some(&before.email))
                .await?;
        }
        let after = self.inner.users.update(id, changes).await?;
        if before.status != after.status {
            audit!(
                "user.status_changed",
                actor_id = actor.id,
                user_id = id,
                from = before.status.as_str(),
                to = after.status.as_str()
            );
        }
        if before.is_admin != after.is_admin {
            audit!(
                "user.role_changed",
                actor_id = actor.id,
                user_id = id,
                admin = after.is_admin
            );
        }
        if before.email != after.email {
            audit!("user.email_changed", actor_id = actor.id, user_id = id);
        }
        Ok(after)
    }

    /// Deletes a user with their keys and sessions; refused for the last approved admin.
    pub async fn delete_user(&self, actor: &User, id: i32) -> Result<(), AuthError> {
        self.inner.users.delete(id).await?;
        audit!("user.deleted", actor_id = actor.id, user_id = id);
        Ok(())
    }

    /// Sets a new password for a user, ends all of that user's sessions and revokes all of
    /// their API keys: after an account is recovered, nothing issued before still works.
    pub async fn reset_password(
        &self,
        actor: &User,
        id: i32,
        password: &str,
    ) -> Result<(), AuthError> {
        let user = self.inner.users.find_by_id(id).await?;
        self.set_password(id, &user.email, password).await?;
        let keys = self.inner.api_keys.delete_all_for_user(id).await?;
        audit!(
            "user.password_reset",
            actor_id = actor.id,
            user_id = id,
            api_keys_revoked = keys
        );
        Ok(())
    }

    /// Ends every session of a user and revokes all of their API keys: their tokens and keys
    /// stop working at once.
    pub async fn revoke_sessions(&self, actor: &User, id: i32) -> Result<(), AuthError> {
        self.inner.users.bump_session_version(id).await?;
        let keys = self.inner.api_keys.delete_all_for_user(id).await?;
        audit!(
            "user.sessions_revoked",
            actor_id = actor.id,
            user_id = id,
            api_keys_revoked = keys
        );
        Ok(())
    }

    /// Any user's API keys, newest first (never the keys themselves).
    pub async fn list_user_api_keys(&self, id: i32) -> Result<Vec<ApiKey>, AuthError> {
        let user = self.inner.users.find_by_id(id).await?;
        self.list_api_keys(&user).await
    }

    /// Revokes one of any user's API keys; a key of another user is "not found".
    pub async fn revoke_user_api_key(
        &self,
        actor: &User,
        id: i32,
        key_id: i32,
    ) -> Result<(), AuthError> {
        self.inner.users.find_by_id(id).await?;
        self.inner.api_keys.delete_for_user(id, key_id).await?;
        audit!(
            "api_key.revoked",
            actor_id = actor.id,
            user_id = id,
            key_id = key_id
        );
        Ok(())
    }
}
