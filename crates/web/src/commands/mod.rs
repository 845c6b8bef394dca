//! Subcommands that work on the configured database without a running server.

pub mod generate;
pub mod models;
pub mod users;
