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
    /// So does an e-mail that only looks like a taken one. Each client network may register a
    /// few accounts per window, and registration closes while too many accounts wait for
    /// approval.
    ///
    /// When the server listens beyond loopback, the first account (the admin) needs the setup
    /// token printed at startup; later accounts never do.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        setup_token: Option<&str>,
        client: IpAddr,
    ) -> Result<User, AuthError> {
        let email = Email::parse(email)?;
        let throttle_key = format!("register:{email}");
        if let Err(retry_after) = self.inner.throttle.check(&throttle_key, client) {
            audit!("register.throttled", reason = "taken e-mails", ip = %client);
            return Err(AuthError::Throttled { retry_after });
        }
        if let Err(retry_after) = self.inner.registrations.acquire(client) {
            audit!("register.throttled", reason = "registrations", ip = %client);
            return Err(AuthError::Throttled { retry_after });
        }
        let registered = self
            .register_checked(email, password, setup_token, client, &throttle_key)
            .await;
        if registered.is_err() {
            // Only accounts made count against the client's registrations.
            self.inner.registrations.release(client);
        }
        registered
    }

    async fn register_checked(
        &self,
        email: Email,
        password: &str,
        setup_token: Option<&str>,
        client: IpAddr,
        throttle_key: &str,
    ) -> Result<User, AuthError> {
        let may_become_admin = self.may_claim_first_admin(setup_token);
        // Checked again in the transaction that creates the account; this spares the hash.
        if !may_become_admin && self.inner.users.count().await? == 0 {
            audit!("register.refused", reason = "setup token", ip = %client);
            return Err(AuthError::SetupTokenRequired);
        }
        let limit = self.inner.registration_limits.max_pending;
        if limit > 0 {
            let pending = self.pending_count().await?;
            if pending >= limit {
                audit!("register.refused", reason = "too many pending", pending = pending, ip = %client);
                return Err(AuthError::RegistrationClosed { pending, limit });
            }
        }
        if let Err(error) = self.ensure_not_look_alike(&email, None).await {
            self.inner.throttle.record_failure(throttle_key, client);
            audit!("register.refused", reason = "look-alike e-mail", ip = %client);
            return Err(error);
        }
        self.inner
            .hasher
            .check_new_password(password, &personal_inputs(email.as_str()))
            .await?;
        let hash = self.inner.hasher.hash(password).await?;
        let user = match self
            .inner
            .users
            .register(email, hash, may_become_admin)
            .await
        {
            Ok(user) => {
                if user.is_admin {
                    self.first_admin_claimed();
                }
                user
            }
            Err(CoreError::Forbidden(_)) => {
                audit!("register.refused", reason = "setup token", ip = %client);
                return Err(AuthError::SetupTokenRequired);
            }
            Err(error @ CoreError::UniqueViolation { .. }) => {
                self.inner.throttle.record_failure(throttle_key, client);
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

    /// Refuses an e-mail that is not taken but looks like one that is (`admın@` beside
    /// `admin@`); `except` is the address being replaced, when a user's e-mail changes.
    pub(super) async fn ensure_not_look_alike(
        &self,
        email: &Email,
        except: Option<&Email>,
    ) -> Result<(), AuthError> {
        let existing = self.inner.users.emails().await?;
        let look_alike = existing
            .iter()
            .filter(|other| Some(*other) != except)
            .any(|other| email.is_confusable_with(other));
        if look_alike {
            return Err(AuthError::EmailLooksLikeAnother);
        }
        Ok(())
    }

    /// Changes the caller's password after checking the current one; every other session of
    /// the user ends, and the caller gets a fresh token. API keys stay: they belong to
    /// programs, which a routine password change should not break, and the user can revoke
    /// them in the same place. Recovery by an admin (reset-password, revoke-sessions) does
    /// end them.
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
