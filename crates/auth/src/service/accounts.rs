//! Self-service: registering and changing one's own password.

use std::net::IpAddr;

use mlx_manager_core::CoreError;
use mlx_manager_core::db::repositories::UserChanges;
use mlx_manager_core::domain::{Email, User};

use super::{AuthService, audit, personal_inputs, user_inputs_for};
use crate::AuthError;
use crate::tokens::IssuedToken;

impl AuthService {
    /// Registers a user: the very first becomes an approved admin, later ones wait for approval.
    ///
    /// A taken e-mail is reported (as the original API does), so attempts that hit one count
    /// against the client's address like failed logins: probing for accounts gets throttled.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<User, AuthError> {
        let email = Email::parse(email)?;
        let throttle_key = format!("register:{email}");
        if let Err(retry_after) = self.inner.throttle.check(&throttle_key, client) {
            audit!("register.throttled", ip = %client);
            return Err(AuthError::Throttled { retry_after });
        }
        self.inner
            .hasher
            .check_new_password(password, &personal_inputs(email.as_str()))
            .await?;
        let hash = self.inner.hasher.hash(password).await?;
        let user = match self.inner.users.register(email, hash).await {
            Ok(user) => user,
            Err(error @ CoreError::UniqueViolation { .. }) => {
                self.inner.throttle.record_failure(&throttle_key, client);
                audit!("register.refused", reason = "e-mail taken", ip = %client);
                return Err(error.into());
            }
            Err(other) => return Err(other.into()),
        };
        audit!(
            "user.registered",
            user_id = user.id,
            admin = user.is_admin,
            status = user.status.as_str()
        );
        Ok(user)
    }

    /// Changes the caller's password after checking the current one; every other session of
    /// the user ends, and the caller gets a fresh token.
    pub async fn change_password(
        &self,
        user: &User,
        current_password: &str,
        new_password: &str,
    ) -> Result<IssuedToken, AuthError> {
        let verification = self
            .inner
            .hasher
            .verify(current_password, &user.password_hash)
            .await?;
        if !verification.valid {
            audit!("user.password_change_refused", user_id = user.id);
            return Err(AuthError::CurrentPasswordIncorrect);
        }
        self.inner
            .hasher
            .check_new_password(new_password, &user_inputs_for(user))
            .await?;
        let hash = self.inner.hasher.hash(new_password).await?;
        let changes = UserChanges::password_hash(hash);
        self.inner.users.update(user.id, changes).await?;
        let session_version = self.inner.users.bump_session_version(user.id).await?;
        audit!("user.password_changed", user_id = user.id);
        self.inner.tokens.issue(user.id, session_version)
    }

    pub async fn find_user(&self, id: i32) -> Result<User, AuthError> {
        Ok(self.inner.users.find_by_id(id).await?)
    }
}
