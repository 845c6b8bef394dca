//! The hub token as admins manage it: which one is in use and from where, storing one
//! (encrypted at rest), removing it, and asking the hub whose it is. The token itself is never
//! returned or logged.

use mlx_manager_core::domain::User;
use mlx_manager_core::permissions::require_admin;
use mlx_manager_core::secrets::SecretVault;
use mlx_manager_core::settings::HubTokenSource;
use secrecy::{ExposeSecret, SecretString};

use crate::{HubClient, HubError};

/// The vault's name for the token.
const SECRET_NAME: &str = "huggingface_token";
/// Longer than any token the hub issues.
const MAX_TOKEN_CHARS: usize = 512;

/// Whether a token is in use, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubTokenStatus {
    pub source: Option<HubTokenSource>,
}

/// The token the hub client sends, as admins set it.
#[derive(Clone)]
pub struct HubTokenSettings {
    client: HubClient,
    vault: SecretVault,
    offline: bool,
}

impl HubTokenSettings {
    /// Puts the stored token (if any) into the client's use; a stored token that cannot be
    /// decrypted is reported and ignored.
    pub async fn load(client: HubClient, vault: SecretVault, offline: bool) -> Self {
        match vault.get(SECRET_NAME).await {
            Ok(stored) => client.token().set_stored(stored),
            Err(error) => tracing::warn!(%error, "the stored hub token is ignored"),
        }
        Self {
            client,
            vault,
            offline,
        }
    }

    fn status(&self) -> HubTokenStatus {
        HubTokenStatus {
            source: self.client.token().current().map(|(_, source)| source),
        }
    }

    pub fn view(&self, actor: &User) -> Result<HubTokenStatus, HubError> {
        require_admin(actor)?;
        Ok(self.status())
    }

    /// Stores a token; a configured one (environment, config file) still wins.
    pub async fn store(
        &self,
        actor: &User,
        token: SecretString,
    ) -> Result<HubTokenStatus, HubError> {
        require_admin(actor)?;
        let trimmed = token.expose_secret().trim();
        if trimmed.is_empty()
            || trimmed.chars().count() > MAX_TOKEN_CHARS
            || trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(HubError::Invalid {
                field: "token",
                message: format!("must be 1–{MAX_TOKEN_CHARS} characters without spaces"),
            });
        }
        let token = SecretString::from(trimmed.to_string());
        self.vault.put(SECRET_NAME, &token, Some(actor.id)).await?;
        self.client.token().set_stored(Some(token));
        tracing::info!(admin = actor.id, "hub token stored");
        Ok(self.status())
    }

    pub async fn delete(&self, actor: &User) -> Result<HubTokenStatus, HubError> {
        require_admin(actor)?;
        self.vault.delete(SECRET_NAME).await?;
        self.client.token().set_stored(None);
        tracing::info!(admin = actor.id, "hub token removed");
        Ok(self.status())
    }

    /// Asks the hub (through `HF_ENDPOINT`) whose the token in use is: the account's name and
    /// where the token comes from.
    pub async fn test(&self, actor: &User) -> Result<(String, HubTokenSource), HubError> {
        require_admin(actor)?;
        let Some((token, source)) = self.client.token().current() else {
            return Err(HubError::Invalid {
                field: "token",
                message: "no hub token is configured or stored".into(),
            });
        };
        if self.offline {
            return Err(crate::client::unavailable(
                "offline mode (HF_HUB_OFFLINE) is on; the token cannot be checked".into(),
            ));
        }
        Ok((self.client.whoami(&token).await?, source))
    }
}
