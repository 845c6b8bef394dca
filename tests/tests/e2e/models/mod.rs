//! Model search and downloads through the API, against a fake hub.

mod download_events;
mod download_faults;
mod download_lifecycle;
mod download_metrics;
mod downloads;
mod hub_token;
mod search;

/// The model most download tests publish and fetch.
const REPO: &str = "mlx-test/tiny-qwen3";
