//! Persistence: one connection pool over SQLite or PostgreSQL, migrations applied at startup,
//! and a repository per aggregate.

mod connect;
pub mod entities;
mod file_modes;
mod migrations;
pub mod repositories;

pub use connect::{Backend, Database, clean_db_error};
pub use file_modes::{is_shared_with_others, restrict_sqlite_files};
