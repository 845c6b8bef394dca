//! Logging in, recognising the caller on each request, logging out.

use std::net::IpAddr;

use mlx_manager_core::CoreError;
use mlx_manager_core::db::repositories::UserChanges;
use mlx_manager_core::domain::{Email, User, UserStatus};

use super::{AuthService, audit};
use crate::AuthError;
use crate::api_keys::{hash_api_key, looks_like_api_key};
use crate::tokens::IssuedToken;

/// Who is calling, re-read from the database on every request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
}

/// What the caller presented.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An access token; `expires_at` in Unix seconds.
    Token {
        jti: String,
        expires_at: i64,
    },
    ApiKey {
        id: i32,
    },
}

#[derive(Debug)]
pub struct LoginOutcome {
    pub user: User,
    pub token: IssuedToken,
}

impl AuthService {
    /// Checks an e-mail and password. Unknown e-mails and wrong passwords fail the same way and
    /// take the same time; pending and disabled accounts are told so only after their password
    /// was verified. Repeated failures from one client are refused (per account, and over all
    /// accounts); an account that failed often lately, from anywhere, is answered after a
    /// growing delay (at most a few seconds) but never refused to other clients, so a storm
    /// from one address cannot lock the owner out.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<LoginOutcome, AuthError> {
        let email = Email::parse(email)?;
        let delay = match self.inner.throttle.check(email.as_str(), client) {
            Ok(delay) => delay,
            Err(retry_after) => {
                audit!("login.throttled", email_hash = %short_fingerprint(email.as_str()), ip = %client);
                return Err(AuthError::Throttled { retry_after });
            }
        };
        if !delay.is_zero() {
            // A timer, not a blocked thread: the executor goes on serving others meanwhile.
            tracing::debug!(
                delay_ms = delay.as_millis(),
                "login delayed after recent failures"
            );
            tokio::time::sleep(delay).await;
        }
        let Some(user) = self.inner.users.find_by_email(&email).await? else {
            self.inner.hasher.verify_dummy(password).await;
            self.inner.throttle.record_failure(email.as_str(), client);
            audit!("login.failed", reason = "unknown e-mail", ip = %client);
            return Err(AuthError::InvalidCredentials);
        };
        let verification = self
            .inner
            .hasher
            .verify(password, &user.password_hash)
            .await?;
        if !verification.valid {
            self.inner.throttle.record_failure(email.as_str(), client);
            audit!("login.failed", user_id = user.id, reason = "wrong password", ip = %client);
            return Err(AuthError::InvalidCredentials);
        }
        self.inner.throttle.record_success(email.as_str(), client);
        match user.status {
            UserStatus::Approved => {}
            UserStatus::Pending => {
                audit!("login.refused", user_id = user.id, reason = "pending", ip = %client);
                return Err(AuthError::AccountPending);
            }
            UserStatus::Disabled => {
                audit!("login.refused", user_id = user.id, reason = "disabled", ip = %client);
                return Err(AuthError::AccountDisabled);
            }
        }
        if verification.needs_rehash {
            let hash = self.inner.hasher.hash(password).await?;
            let changes = UserChanges::password_hash(hash);
            self.inner.users.update(user.id, changes).await?;
            audit!("user.password_rehashed", user_id = user.id);
        }
        let token = self.inner.tokens.issue(user.id, user.session_version)?;
        audit!("login.succeeded", user_id = user.id, ip = %client);
        Ok(LoginOutcome { user, token })
    }

    /// Recognises a bearer credential: an access token or an API key. The user must exist and
    /// be approved now, and a token must belong to the user's current session version and not
    /// have been logged out.
    pub async fn authenticate(&self, credential: &str) -> Result<Principal, AuthError> {
        if looks_like_api_key(credential) {
            return self.authenticate_api_key(credential).await;
        }
        let claims = self.inner.tokens.verify(credential)?;
        let user = match self.inner.users.find_by_id(claims.user_id()?).await {
            Ok(user) => user,
            Err(CoreError::NotFound { .. }) => {
                return Err(AuthError::InvalidToken("the user no longer exists".into()));
            }
            Err(other) => return Err(other.into()),
        };
        if user.session_version != claims.sv {
            return Err(AuthError::InvalidToken("the session was ended".into()));
        }
        if self.inner.revoked.is_revoked(&claims.jti).await? {
            return Err(AuthError::InvalidToken("the token was logged out".into()));
        }
        ensure_active(&user)?;
        Ok(Principal {
            user,
            credential: Credential::Token {
                jti: claims.jti,
                expires_at: claims.exp,
            },
        })
    }

    /// Authenticates with an API key only (the `x-api-key` header carries nothing else).
    pub async fn authenticate_api_key(&self, key: &str) -> Result<Principal, AuthError> {
        let Some(record) = self
            .inner
            .api_keys
            .find_usable_by_hash(&hash_api_key(key))
            .await?
        else {
            return Err(AuthError::InvalidToken(
                "unknown, revoked or expired API key".into(),
            ));
        };
        let user = self.inner.users.find_by_id(record.user_id).await?;
        ensure_active(&user)?;
        Ok(Principal {
            user,
            credential: Credential::ApiKey { id: record.id },
        })
    }

    /// Makes the presented token unusable from now on (an API key is revoked, not logged out).
    pub async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        if let Credential::Token { jti, expires_at } = &principal.credential {
            self.inner
                .revoked
                .revoke(jti, principal.user.id, *expires_at)
                .await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            // Keeping the denylist small: entries are useless once their token has expired.
            self.inner.revoked.purge_expired(now).await?;
        }
        audit!("logout", user_id = principal.user.id);
        Ok(())
    }
}

fn ensure_active(user: &User) -> Result<(), AuthError> {
    match user.status {
        UserStatus::Approved => Ok(()),
        UserStatus::Pending => Err(AuthError::InvalidToken(
            "the account is pending approval".into(),
        )),
        UserStatus::Disabled => Err(AuthError::InvalidToken("the account is disabled".into())),
    }
}

/// Lets throttling events be correlated in the log without writing the e-mail itself.
fn short_fingerprint(email: &str) -> String {
    crate::api_keys::hash_api_key(email)[..12].to_string()
}
