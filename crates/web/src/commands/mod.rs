//! The subcommands; each one but `chat` (a client of a running server) works without a server,
//! on the same services it uses.

pub mod chat;
pub mod generate;
pub mod models;
pub mod serve;
pub mod users;
