//! API keys: for programs, shown once, stored hashed.

use mlx_manager_core::db::repositories::NewApiKeyRecord;
use mlx_manager_core::domain::{ApiKey, User};

use super::{AuthService, MAX_API_KEYS_PER_USER, audit};
use crate::AuthError;
use crate::api_keys::try_generate_api_key;

/// A new key: the only moment its secret is known.
#[derive(Debug)]
pub struct CreatedApiKey {
    pub record: ApiKey,
    pub secret: String,
}

impl AuthService {
    /// `expires_at` is Unix milliseconds; `None` never expires. Refused once the owner has
    /// [`MAX_API_KEYS_PER_USER`] keys (expired ones count until revoked).
    pub async fn create_api_key(
        &self,
        owner: &User,
        name: &str,
        expires_at: Option<i64>,
    ) -> Result<CreatedApiKey, AuthError> {
        if self.inner.api_keys.count_for_user(owner.id).await? >= MAX_API_KEYS_PER_USER {
            audit!(
                "api_key.refused",
                user_id = owner.id,
                reason = "too many keys"
            );
            return Err(AuthError::TooManyApiKeys {
                limit: MAX_API_KEYS_PER_USER,
            });
        }
        let generated = try_generate_api_key()?;
        let record = self
            .inner
            .api_keys
            .create(NewApiKeyRecord {
                user_id: owner.id,
                name: name.to_string(),
                display_prefix: generated.display_prefix,
                key_hash: generated.hash,
                expires_at,
            })
            .await?;
        audit!("api_key.created", user_id = owner.id, key_id = record.id);
        Ok(CreatedApiKey {
            record,
            secret: generated.plaintext,
        })
    }

    pub async fn list_api_keys(&self, owner: &User) -> Result<Vec<ApiKey>, AuthError> {
        Ok(self.inner.api_keys.list_for_user(owner.id).await?)
    }

    pub async fn revoke_api_key(&self, owner: &User, id: i32) -> Result<(), AuthError> {
        self.inner.api_keys.delete_for_user(owner.id, id).await?;
        audit!("api_key.revoked", user_id = owner.id, key_id = id);
        Ok(())
    }
}
