//! The token the hub client sends: the configured one (environment or config file) wins, then
//! the one an admin stored through the API, then `<HF_HOME>/token`. The stored one can change
//! while the server runs; every clone of the client sees the change.

use std::sync::{Arc, RwLock};

use mlx_manager_core::settings::{HubSettings, HubTokenSource};
use secrecy::SecretString;

#[derive(Clone, Default)]
pub struct HubToken {
    configured: Option<(SecretString, HubTokenSource)>,
    file: Option<SecretString>,
    stored: Arc<RwLock<Option<SecretString>>>,
}

impl HubToken {
    pub fn from_settings(settings: &HubSettings) -> Self {
        Self {
            configured: settings.token.clone().map(|token| {
                (
                    token,
                    settings.token_source.unwrap_or(HubTokenSource::Environment),
                )
            }),
            file: settings.token_file(),
            stored: Arc::default(),
        }
    }

    /// A fixed token (or none), as a client built by hand uses.
    pub fn fixed(token: Option<SecretString>) -> Self {
        Self {
            configured: token.map(|token| (token, HubTokenSource::Environment)),
            ..Self::default()
        }
    }

    /// The token to send and where it comes from.
    pub fn current(&self) -> Option<(SecretString, HubTokenSource)> {
        if let Some(configured) = &self.configured {
            return Some(configured.clone());
        }
        let stored = self
            .stored
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        stored
            .map(|token| (token, HubTokenSource::Stored))
            .or_else(|| {
                self.file
                    .clone()
                    .map(|token| (token, HubTokenSource::HubTokenFile))
            })
    }

    /// Replaces the stored token (`None`: removed).
    pub fn set_stored(&self, token: Option<SecretString>) {
        *self.stored.write().unwrap_or_else(|e| e.into_inner()) = token;
    }
}
