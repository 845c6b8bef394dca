//! Quotas on the model API: the limits admins set (per user, and a default for members) and the
//! check every `/v1` request passes before it runs.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::RwLock;

use super::ledger::{QuotaUse, UsageLedger};
use crate::CoreError;
use crate::db::Database;
use crate::db::repositories::{QuotaRepository, UserRepository};
use crate::domain::{EffectiveQuota, QuotaLimits, QuotaSource, User};
use crate::permissions::require_admin;
use crate::time::now_millis;

/// Every stored limit, read once and kept until an admin changes one.
#[derive(Clone, Default)]
struct StoredLimits {
    members_default: QuotaLimits,
    users: HashMap<i32, QuotaLimits>,
}

/// A user's quota and what they used of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    pub quota: EffectiveQuota,
    pub requests_last_minute: u64,
    pub tokens_last_day: u64,
}

#[derive(Clone)]
pub struct QuotaService {
    repository: QuotaRepository,
    users: UserRepository,
    ledger: Arc<UsageLedger>,
    stored: Arc<RwLock<Option<StoredLimits>>>,
}

impl QuotaService {
    pub fn new(db: Database, ledger: Arc<UsageLedger>) -> Self {
        Self {
            repository: QuotaRepository::new(db.clone()),
            users: UserRepository::new(db),
            ledger,
            stored: Arc::default(),
        }
    }

    async fn stored(&self) -> Result<StoredLimits, CoreError> {
        if let Some(stored) = self.stored.read().await.as_ref() {
            return Ok(stored.clone());
        }
        let mut slot = self.stored.write().await;
        let stored = StoredLimits {
            members_default: self.repository.members_default().await?,
            users: self.repository.all_users().await?.into_iter().collect(),
        };
        *slot = Some(stored.clone());
        Ok(stored)
    }

    async fn forget_stored(&self) {
        *self.stored.write().await = None;
    }

    /// The limits that apply to `user`: their own, else the members' default (admins without
    /// their own have none).
    pub async fn effective(&self, user: &User) -> Result<EffectiveQuota, CoreError> {
        let stored = self.stored().await?;
        Ok(match stored.users.get(&user.id) {
            Some(limits) => EffectiveQuota {
                limits: *limits,
                source: QuotaSource::User,
            },
            None if user.is_admin => EffectiveQuota {
                limits: QuotaLimits::UNLIMITED,
                source: QuotaSource::None,
            },
            None => EffectiveQuota {
                limits: stored.members_default,
                source: QuotaSource::MembersDefault,
            },
        })
    }

    /// Counts a request of `user` against their quota, or refuses it with the time until the
    /// window frees.
    pub async fn admit(&self, user: &User, kind: QuotaUse) -> Result<(), CoreError> {
        let quota = self.effective(user).await?;
        self.ledger
            .admit(user.id, &quota.limits, kind, now_millis())
            .map_err(|over| CoreError::QuotaExceeded {
                detail: over.detail,
                retry_after_secs: over.retry_after_secs,
            })
    }

    /// The caller's quota and recent use.
    pub async fn usage(&self, user: &User) -> Result<QuotaUsage, CoreError> {
        let quota = self.effective(user).await?;
        let (requests_last_minute, tokens_last_day) = self.ledger.current(user.id, now_millis());
        Ok(QuotaUsage {
            quota,
            requests_last_minute,
            tokens_last_day,
        })
    }

    /// The members' default (admins only).
    pub async fn members_default(&self, actor: &User) -> Result<QuotaLimits, CoreError> {
        require_admin(actor)?;
        Ok(self.stored().await?.members_default)
    }

    pub async fn set_members_default(
        &self,
        actor: &User,
        limits: QuotaLimits,
    ) -> Result<QuotaLimits, CoreError> {
        require_admin(actor)?;
        self.repository
            .set_members_default(&limits, actor.id)
            .await?;
        self.forget_stored().await;
        Ok(limits)
    }

    /// One user's quota as it applies (admins only).
    pub async fn for_user(&self, actor: &User, user_id: i32) -> Result<EffectiveQuota, CoreError> {
        require_admin(actor)?;
        let user = self.users.find_by_id(user_id).await?;
        self.effective(&user).await
    }

    /// Gives a user limits of their own (admins only).
    pub async fn set_for_user(
        &self,
        actor: &User,
        user_id: i32,
        limits: QuotaLimits,
    ) -> Result<EffectiveQuota, CoreError> {
        require_admin(actor)?;
        let user = self.users.find_by_id(user_id).await?;
        self.repository
            .set_for_user(user.id, &limits, actor.id)
            .await?;
        self.forget_stored().await;
        self.effective(&user).await
    }

    /// Returns a user to the members' default (admins only).
    pub async fn clear_for_user(
        &self,
        actor: &User,
        user_id: i32,
    ) -> Result<EffectiveQuota, CoreError> {
        require_admin(actor)?;
        let user = self.users.find_by_id(user_id).await?;
        self.repository.clear_for_user(user.id).await?;
        self.forget_stored().await;
        self.effective(&user).await
    }
}
