//! Accounts and credentials through the real binary: registration, login, sessions, API keys,
//! throttling, deny-by-default and auditing.

mod api_keys;
mod audit_and_hashing;
mod deny_by_default;
mod login;
mod sessions;
mod throttling;
