//! MLX Manager's domain layer: settings, domain types and persistence.
//!
//! Nothing here knows about HTTP; the `api` crate maps [`CoreError`] to responses.

pub mod db;
pub mod domain;
pub mod downloads;
mod error;
pub mod hub;
pub mod settings;
pub mod time;

pub use error::CoreError;
pub use settings::Settings;
