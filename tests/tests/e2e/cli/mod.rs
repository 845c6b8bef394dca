//! The command line without a server: `generate`, `pull | models | rm`, `users` and `service`.

mod generate;
mod models;
mod service;
mod users;
