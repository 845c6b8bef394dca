//! The model catalog: search the hub, read a model's facts, list and delete what the cache
//! holds. It needs no database, so the CLI uses it as it is; [`crate::HubService`] adds the
//! rules that involve downloads. Blocking work (walking the cache) runs on blocking threads in
//! here, so callers never have to think about it.

use mlx_manager_core::memory::MemoryBudget;
use mlx_manager_core::settings::HubSettings;

use crate::{
    HubCache, HubClient, HubError, LocalModel, ModelCharacteristics, RepoId, SearchQuery,
    SearchResult, SearchSort, chat_template_from, local_model, local_models, read_characteristics,
    search_local, search_results,
};

const MAX_QUERY_CHARS: usize = 200;
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// A search as a user asked for it, validated.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    text: String,
    limit: usize,
    sort: SearchSort,
    max_size_bytes: Option<u64>,
}

impl SearchRequest {
    pub fn parse(
        query: &str,
        limit: Option<u32>,
        sort: Option<&str>,
        max_size_gb: Option<f64>,
    ) -> Result<Self, HubError> {
        let invalid = |field, message: &str| HubError::Invalid {
            field,
            message: message.to_string(),
        };
        // As the API's schema states it: at most 200 characters, not only spaces.
        let text = query.trim_matches([' ', '\t', '\n', '\r']).to_string();
        if text.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid("query", "must be 1 to 200 characters"));
        }
        let limit = limit.map_or(DEFAULT_LIMIT, |l| l as usize);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit", "must be 1 to 100"));
        }
        let sort = SearchSort::parse(sort.unwrap_or("downloads"))?;
        let max_size_bytes = match max_size_gb {
            Some(gb) if gb.is_finite() && gb > 0.0 => Some((gb * (1u64 << 30) as f64) as u64),
            Some(_) => return Err(invalid("max_size_gb", "must be a positive number")),
            None => None,
        };
        Ok(Self {
            text,
            limit,
            sort,
            max_size_bytes,
        })
    }
}

/// Search, model facts and the local cache.
#[derive(Clone)]
pub struct ModelCatalog {
    client: HubClient,
    cache: HubCache,
    offline: bool,
    budget: MemoryBudget,
}

impl ModelCatalog {
    pub fn new(settings: &HubSettings, budget: MemoryBudget) -> Self {
        Self::with(
            HubClient::new(settings),
            HubCache::new(&settings.cache),
            settings.offline,
            budget,
        )
    }

    /// A catalog over an existing client and cache (the downloader's, so they are shared).
    pub fn with(client: HubClient, cache: HubCache, offline: bool, budget: MemoryBudget) -> Self {
        Self {
            client,
            cache,
            offline,
            budget,
        }
    }

    pub fn cache(&self) -> &HubCache {
        &self.cache
    }

    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// MLX models on the hub (any author), enriched; offline, the local cache is searched.
    pub async fn search(&self, request: SearchRequest) -> Result<Vec<SearchResult>, HubError> {
        let cache = self.cache.clone();
        let budget = self.budget;
        let SearchRequest {
            text,
            limit,
            sort,
            max_size_bytes,
        } = request;
        if self.offline {
            return blocking(move || search_local(&cache, &text, budget, limit)).await;
        }
        // A size filter drops results: ask for more so the page still fills.
        let fetch = if max_size_bytes.is_some() {
            (limit * 2).min(200)
        } else {
            limit
        };
        let query = SearchQuery {
            text,
            limit: fetch,
            sort: sort.hub_key().to_string(),
        };
        let models = self.client.search(&query).await?;
        blocking(move || search_results(models, &cache, budget, max_size_bytes, limit)).await
    }

    /// A model's architecture facts from its `config.json`: the local copy first, else the hub's.
    pub async fn characteristics(&self, repo: &RepoId) -> Result<ModelCharacteristics, HubError> {
        let cache = self.cache.clone();
        let id = repo.clone();
        let local =
            blocking(move || local_model(&cache, &id).and_then(|m| read_characteristics(&m.path)))
                .await?;
        if let Some(characteristics) = local {
            return Ok(characteristics);
        }
        if self.offline {
            return Err(HubError::NotFound(format!(
                "{repo} is not in the local cache (offline mode)"
            )));
        }
        let no_config = || HubError::NotFound(format!("{repo} has no config.json"));
        let config = match self.client.small_file(repo, "main", "config.json").await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Err(no_config()),
            Err(HubError::NotFound(_)) => return Err(no_config()),
            Err(other) => return Err(other),
        };
        let config: serde_json::Value =
            serde_json::from_slice(&config).map_err(|e| HubError::Unavailable {
                service: crate::HUB_NAME,
                message: format!("{repo}'s config.json is not JSON: {e}"),
            })?;
        // Both are optional: a model without them still has characteristics.
        let tokenizer_config = self
            .client
            .small_file(repo, "main", "tokenizer_config.json")
            .await
            .ok()
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let jinja = self
            .client
            .small_file(repo, "main", "chat_template.jinja")
            .await
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let template = chat_template_from(tokenizer_config.as_ref(), jinja);
        Ok(ModelCharacteristics::from_config(
            &config,
            template.as_deref(),
        ))
    }

    /// Every model in the cache, complete or not, by id.
    pub async fn cached_models(&self) -> Result<Vec<LocalModel>, HubError> {
        let cache = self.cache.clone();
        blocking(move || local_models(&cache))
            .await?
            .map_err(|e| HubError::io(format!("reading {}", self.cache.root().display()), e))
    }

    /// Deletes every snapshot and blob of a repository; returns the bytes freed.
    pub async fn delete(&self, repo: &RepoId) -> Result<u64, HubError> {
        let cached = self.cache.repo(repo);
        if !cached.exists() {
            return Err(HubError::NotFound(format!(
                "{repo} is not in the local cache"
            )));
        }
        let id = repo.clone();
        let freed = blocking(move || {
            let size = cached.size_on_disk();
            cached.remove_all().map(|()| size)
        })
        .await?
        .map_err(|e| HubError::io(format!("deleting {id}"), e))?;
        tracing::info!(model = %repo, "model deleted from the cache");
        Ok(freed)
    }
}

/// Runs cache work on a blocking thread; a panic there becomes an error, not a crash.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HubError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HubError::io("a cache task failed", std::io::Error::other(e.to_string())))
}
