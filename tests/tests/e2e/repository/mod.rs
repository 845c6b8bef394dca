//! The repositories, identical on SQLite and PostgreSQL, without a server.

mod auth;
mod chats;
mod users;
