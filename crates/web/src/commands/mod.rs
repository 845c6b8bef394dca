//! The subcommands; each one but `chat` and `status` (clients of a running server) works without a server,
//! on the same services it uses.

pub mod chat;
pub mod generate;
pub mod models;
pub mod serve;
pub mod service;
pub mod status;
pub mod users;
