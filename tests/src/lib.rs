//! Test harness: starts the real `mlx-manager` binary on a random loopback port with a fresh data
//! directory, and gives typed helpers to talk to it.

pub mod app;
pub mod auth;
pub mod backends;
pub mod fake_hub;
pub mod inspect;
pub mod models;
pub mod postgres;
pub mod tcp_proxy;

pub use app::{SpawnOptions, TestApp, binary_path, cli_command, run_cli, run_cli_with_input};
