//! sea-orm entities, one module per table.

pub mod api_key;
pub mod audit_log;
pub mod chat;
pub mod chat_message;
pub mod download;
pub mod permission;
pub mod pool_setting;
pub mod profile;
pub mod quota_default;
pub mod revoked_token;
pub mod stored_secret;
pub mod user;
pub mod user_quota;
