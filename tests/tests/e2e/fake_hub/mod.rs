//! The fake Hugging Face hub the model tests run against: its API, files and faults, checked
//! directly and with the Python reference client.

mod api;
mod faults;
mod files;
mod with_python_client;
