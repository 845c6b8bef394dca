//! Administration of users (callers are admins; the API layer checks that).

use mlx_manager_core::db::repositories::{NewUser, UserChanges};
use mlx_manager_core::domain::{Email, User, UserStatus};

use super::{AuthService, audit, personal_inputs};
use crate::AuthError;

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

    /// Creates an approved user directly.
    pub async fn create_user(
        &self,
        actor: &User,
        email: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<User, AuthError> {
        let email = Email::parse(email)?;
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

    /// Sets a new password for a user and ends all of that user's sessions.
    pub async fn reset_password(
        &self,
        actor: &User,
        id: i32,
        password: &str,
    ) -> Result<(), AuthError> {
        let user = self.inner.users.find_by_id(id).await?;
        self.set_password(id, &user.email, password).await?;
        audit!("user.password_reset", actor_id = actor.id, user_id = id);
        Ok(())
    }

    /// Ends every session of a user (their tokens stop working; API keys are separate).
    pub async fn revoke_sessions(&self, actor: &User, id: i32) -> Result<(), AuthError> {
        self.inner.users.bump_session_version(id).await?;
        audit!("user.sessions_revoked", actor_id = actor.id, user_id = id);
        Ok(())
    }
}
