//! The Hugging Face hub: its API (search, model info, files), the local cache layout shared with
//! Python tools, and what a model is (characteristics, search badges).

mod cache;
mod characteristics;
mod client;
mod local;
mod repo_id;
mod search;

pub use cache::{HubCache, RepoCache};
pub use characteristics::{ModelCharacteristics, architecture_family, chat_template_from};
pub(crate) use client::HUB as HUB_NAME;
pub use client::{FileBody, HubClient, HubModel, LfsInfo, SafetensorsInfo, SearchQuery, TreeEntry};
pub use local::{LocalModel, local_model, local_models, read_characteristics};
pub use repo_id::RepoId;
pub use search::{Badges, MemoryBudget, SearchResult, SearchSort, search_local, search_results};
