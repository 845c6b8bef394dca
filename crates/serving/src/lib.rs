//! Serving models: the layer that joins what a user names (a model of the hub cache, a model
//! directory, and with the profiles issue a profile) to the engine that runs it. Starting,
//! stopping and generating by profile or model live here, so the API handlers and the CLI stay
//! one call each. No HTTP here.

mod error;
mod load;
mod locate;

pub use error::ServingError;
pub use load::{LoadedModel, load_model, load_model_blocking};
pub use locate::{ModelLocation, locate_model};
