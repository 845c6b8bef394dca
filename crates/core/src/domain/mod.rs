//! Domain types that are valid by construction ("parse, don't validate").
//!
//! Accounts ([`User`], [`ApiKey`], [`Email`]), the models the hub names ([`RepoId`], at a
//! [`Revision`] resolved to a [`CommitSha`]), the states of a download ([`DownloadStatus`]) and
//! profiles, named ways to run a model ([`Profile`]), and the model pool's settings
//! ([`PoolSettings`]);
//! memory planning lives in [`crate::memory`].

mod api_key;
pub mod audit;
pub mod chat;
mod download_status;
mod email;
mod permissions;
mod pool_settings;
pub mod profile;
pub mod quota;
mod repo_id;
mod revision;
mod user;

pub use api_key::ApiKey;
pub use audit::{AuditEntry, AuditFilter, AuditRecord, AuditStats, UsageTotals, UserTotals};
pub use chat::{Chat, ChatMessage, ChatTitle, NewChatMessage};
pub use download_status::DownloadStatus;
pub use email::Email;
pub use permissions::{Permission, Permissions};
pub use pool_settings::{MIN_MEMORY_LIMIT_BYTES, PoolSettings, PoolSettingsDraft};
pub use profile::{Profile, ProfileName, ProfilePatch, ProfileSpec};
pub use quota::{EffectiveQuota, QuotaLimits, QuotaSource};
pub use repo_id::RepoId;
pub use revision::{CommitSha, Revision};
pub use user::{User, UserStatus};
