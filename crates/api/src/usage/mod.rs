//! The model API's use: every `/v1` request in the audit log, and the quotas in front of it.

mod layers;
mod observer;
mod ticket;

pub use layers::{audit_requests, enforce_quotas};
pub use ticket::AuditTicket;
