//! The subcommands; each one works without a running server, on the same services it uses.

pub mod generate;
pub mod models;
pub mod serve;
pub mod users;
