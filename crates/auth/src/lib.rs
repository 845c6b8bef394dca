//! Authentication and authorization for MLX Manager: users, password hashing, tokens, sessions
//! and API keys, as functions over the core crate's repositories. No HTTP here.

mod error;

pub use error::AuthError;
