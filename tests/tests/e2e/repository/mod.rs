//! The repositories, identical on SQLite and PostgreSQL, without a server.

mod audit_logs;
mod auth;
mod chats;
mod users;
