//! Recovery for an owner locked out of the web UI: the `mlx-manager users` commands, run on the
//! machine itself with access to the database. No actor is signed in; audit lines say `cli`.

use mlx_manager_core::CoreError;
use mlx_manager_core::db::repositories::{NewUser, UserChanges};
use mlx_manager_core::domain::{Email, User, UserStatus};

use super::{AuthService, audit, personal_inputs};
use crate::AuthError;

/// What [`AuthService::ensure_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEnsured {
    /// A new approved admin.
    Created(User),
    /// An existing user, now an approved admin with the new password and no old sessions.
    Promoted(User),
}

impl AuthService {
    /// Sets the password of the user with this e-mail and ends their sessions.
    pub async fn recover_password(&self, email: &str, password: &str) -> Result<User, AuthError> {
        let email = Email::parse(email)?;
        let user = self
            .inner
            .users
            .find_by_email(&email)
            .await?
            .ok_or(CoreError::NotFound { entity: "user" })?;
        self.set_password(user.id, &email, password).await?;
        audit!("user.password_reset", user_id = user.id, via = "cli");
        Ok(self.inner.users.find_by_id(user.id).await?)
    }

    /// Makes the user with this e-mail an approved admin with this password, creating the
    /// account when there is none.
    pub async fn ensure_admin(
        &self,
        email: &str,
        password: &str,
    ) -> Result<AdminEnsured, AuthError> {
        let email = Email::parse(email)?;
        let hash = self.new_password_hash(&email, password).await?;
        let existing = self.inner.users.find_by_email(&email).await?;
        let outcome = match existing {
            Some(user) => {
                let changes = UserChanges {
                    password_hash: Some(hash),
                    is_admin: Some(true),
                    status: Some(UserStatus::Approved),
                    ..Default::default()
                };
                self.inner.users.update(user.id, changes).await?;
                self.inner.users.bump_session_version(user.id).await?;
                AdminEnsured::Promoted(self.inner.users.find_by_id(user.id).await?)
            }
            None => AdminEnsured::Created(
                self.inner
                    .users
                    .create(NewUser {
                        email,
                        password_hash: hash,
                        is_admin: true,
                        status: UserStatus::Approved,
                        approved_by: None,
                    })
                    .await?,
            ),
        };
        let user_id = match &outcome {
            AdminEnsured::Created(user) | AdminEnsured::Promoted(user) => user.id,
        };
        audit!("user.admin_ensured", user_id = user_id, via = "cli");
        Ok(outcome)
    }

    /// Checks and hashes a new password (off the executor), stores it and ends the sessions.
    pub(super) async fn set_password(
        &self,
        id: i32,
        email: &Email,
        password: &str,
    ) -> Result<(), AuthError> {
        let hash = self.new_password_hash(email, password).await?;
        self.inner
            .users
            .update(id, UserChanges::password_hash(hash))
            .await?;
        self.inner.users.bump_session_version(id).await?;
        Ok(())
    }

    async fn new_password_hash(&self, email: &Email, password: &str) -> Result<String, AuthError> {
        self.inner
            .hasher
            .check_new_password(password, &personal_inputs(email.as_str()))
            .await?;
        self.inner.hasher.hash(password).await
    }
}
