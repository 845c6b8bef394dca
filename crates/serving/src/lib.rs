//! Serving models: the layer that joins what a user names (a profile, a model of the hub
//! cache, a model directory) to the engine's pool that runs it. Profiles, starting, stopping,
//! status, health, memory, the pool's settings and generation for the model API (a name
//! resolved to a model, the profile's defaults joined with the request, a turn on the pool, its
//! load watched, its outcome told to an observer), embeddings and the system facts live here, so
//! the API handlers and the CLI stay one call each. No HTTP here.

mod embeddings;
mod error;
mod load;
mod locate;
mod model_api;
mod observer;
mod pool_config;
mod profiles;
mod request;
mod servers;
mod service;
mod system;

pub use error::ServingError;
pub use load::{LoadedModel, load_model, load_model_blocking};
pub use locate::{ModelLocation, locate_model};
pub use model_api::{Generation, LoadWatch, ModelListing, ModelTarget, PreparedGeneration};
pub use observer::{EndedEarly, GenerationObserver};
pub use pool_config::PoolSettingsView;
pub use profiles::ProfileView;
pub use request::{
    ClientInput, ClientRequest, DEFAULT_TEMPERATURE, ToolChoice, generation_request,
};
pub use servers::{Health, MemoryReport, ProfileRef, Server};
pub use service::Serving;
pub use system::SystemInfo;
