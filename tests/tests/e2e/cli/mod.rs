//! The command line without a server: `generate`, `pull | models | rm` and `users`.

mod generate;
mod models;
mod users;
