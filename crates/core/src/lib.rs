//! MLX Manager's domain layer: settings (in sections), domain types that are valid by
//! construction, memory planning, the machine's facts, the users' chats, the audit log and quotas of model use, and persistence
//! (sea-orm entities, migrations, repositories, the downloads table included).
//!
//! Nothing here knows about HTTP or the Hugging Face hub; the `api` crate maps [`CoreError`] to
//! responses.

pub mod chats;
pub mod db;
pub mod domain;
mod error;
pub mod machine;
pub mod memory;
pub mod permissions;
pub mod secrets;
pub mod settings;
pub mod time;
pub mod usage;

pub use error::{CoreError, InvalidField};
pub use settings::Settings;
