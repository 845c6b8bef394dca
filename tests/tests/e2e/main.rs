//! End-to-end tests: the real `mlx-manager` binary, the fake hub and the repositories, in one
//! test binary (one link instead of one per file). Each file is a module, grouped by theme; the
//! shared harness is the `mlx_manager_tests` library, and `helpers` holds what several modules
//! here assert the same way.

mod architecture;
mod auth;
mod chats;
mod cli;
mod embedding;
mod fake_hub;
mod health;
mod helpers;
mod lifecycle;
mod logging;
mod model_api;
mod models;
mod openapi;
mod problems;
mod readme;
mod repository;
mod sdk_client;
mod security;
mod serving;
mod system;
mod usage;
mod web_ui;
