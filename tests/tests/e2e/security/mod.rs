//! The security hardening: each finding of the adversarial probe, kept closed through the real
//! binary.

mod accounts;
mod cache_and_downloads;
mod server;
