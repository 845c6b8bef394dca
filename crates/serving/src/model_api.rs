//! What the model API (`/v1`) asks of serving: the models a client may name, a name resolved to
//! the model to run and the profile whose defaults apply, and generation on the pool, loading
//! the model on demand.

use std::sync::Arc;

use mlx_manager_core::domain::{Profile, ProfileName, RepoId, User};
use mlx_manager_hub::local_models;
use mlx_manager_inference::InferenceError;
use mlx_manager_inference::generation::pool::{Lease, LoadSpec, ModelState};
use mlx_manager_inference::generation::{
    EventReceiver, GenerationEvent, GenerationRequest, LoadProgress, ModelWorker,
    count_prompt_tokens,
};

use crate::observer::{EndedEarly, GenerationObserver, Observed};
use crate::profiles::run_blocking;
use crate::request::ClientRequest;
use crate::servers::{LoadPlan, profile_plan};
use crate::{Serving, ServingError};

/// A model a client may name: a profile (by name) or a model of the cache (by repository id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelListing {
    pub id: String,
    /// Unix seconds: when the profile was created, or the snapshot written.
    pub created_secs: i64,
    /// The profile's creator is not shown to other users; this says what the entry is.
    pub owned_by: &'static str,
}

/// A name a request used, resolved.
#[derive(Debug, Clone)]
pub struct ModelTarget {
    /// The name as the client sent it (responses echo it).
    pub name: String,
    /// The profile named, whose defaults, system prompt and template options apply.
    pub profile: Option<Profile>,
    /// The context the model is run with: the profile's, else the model's.
    pub context_length: u64,
    pub(crate) spec: LoadSpec,
}

impl ModelTarget {
    /// The pool's name for the model.
    pub fn key(&self) -> &str {
        &self.spec.key
    }
}

/// One request's generation: its events, and its turn on the model until it is dropped
/// (dropping it also cancels the generation within one decoding step).
pub struct Generation {
    lease: Lease<ModelWorker>,
    events: EventReceiver,
    done: bool,
    observed: Option<Observed>,
}

impl Generation {
    /// The next event; `None` once the generation finished or failed. A forced stop of the
    /// model (or shutdown) ends it with [`InferenceError::Stopped`].
    pub async fn next(&mut self) -> Option<Result<GenerationEvent, ServingError>> {
        if self.done {
            return None;
        }
        let event = tokio::select! {
            event = self.events.recv() => event,
            () = self.lease.cancelled() => {
                self.done = true;
                if let Some(observed) = &mut self.observed {
                    observed.ended_early(EndedEarly::Failed);
                }
                let model = self.lease.key().to_string();
                return Some(Err(InferenceError::Stopped { model }.into()));
            }
        };
        if let Some(observed) = &mut self.observed {
            match &event {
                Some(Ok(event)) => observed.event(event),
                Some(Err(_)) | None => observed.ended_early(EndedEarly::Failed),
            }
        }
        match &event {
            Some(Ok(GenerationEvent::Finished { stats, .. })) => {
                self.done = true;
                self.lease
                    .record(stats.generated_tokens as u64, stats.decode_tokens_per_sec);
            }
            Some(Err(_)) | None => self.done = true,
            Some(Ok(
                GenerationEvent::Started { .. }
                | GenerationEvent::Delta { .. }
                | GenerationEvent::Reasoning { .. }
                | GenerationEvent::ToolCall(_)
                | GenerationEvent::Logprob(_),
            )) => {}
        }
        event.map(|result| result.map_err(ServingError::from))
    }
}

impl Serving {
    /// Every name a client may use: profiles (by name), then the ready models of the cache (by
    /// repository id), each once.
    pub async fn model_listings(&self) -> Result<Vec<ModelListing>, ServingError> {
        let profiles = self.inner.profiles.list().await?;
        let cache = self.inner.hub.catalog().cache().clone();
        let ready = run_blocking(move || {
            local_models(&cache).map(|models| {
                models
                    .into_iter()
                    .filter(|model| model.ready)
                    .map(|model| {
                        (
                            model.repo_id.to_string(),
                            snapshot_created_secs(&model.path),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .await?
        .map_err(|e| ServingError::TaskFailed(format!("cannot read the model cache: {e}")))?;
        let mut listings: Vec<ModelListing> = profiles
            .iter()
            .map(|profile| ModelListing {
                id: profile.spec.name.as_str().to_string(),
                created_secs: profile.created_at / 1000,
                owned_by: "profile",
            })
            .collect();
        let mut local: Vec<ModelListing> = ready
            .into_iter()
            .map(|(id, created_secs)| ModelListing {
                id,
                created_secs,
                owned_by: "local",
            })
            .collect();
        local.sort_by(|a, b| a.id.cmp(&b.id));
        listings.extend(local);
        Ok(listings)
    }

    /// Resolves what a request names: a profile's name, else the repository id of a ready model
    /// of the cache. Anything else, or a model not (completely) downloaded, is
    /// [`ServingError::ModelNotFound`].
    pub async fn resolve_model(&self, name: &str) -> Result<ModelTarget, ServingError> {
        let not_found = || {
            ServingError::ModelNotFound(format!(
                "the model `{name}` does not exist: name a profile or a downloaded model \
                 (GET /v1/models lists them)"
            ))
        };
        if let Ok(profile_name) = ProfileName::parse(name)
            && let Some(profile) = self.inner.profiles.find_by_name(&profile_name).await?
        {
            let (spec, context_length) =
                self.plan_load(profile_plan(&profile))
                    .await
                    .map_err(|error| match error {
                        ServingError::NotDownloaded(detail) => {
                            ServingError::ModelNotFound(format!(
                                "the profile `{name}` runs a model that is not downloaded: {detail}"
                            ))
                        }
                        other => other,
                    })?;
            return Ok(ModelTarget {
                name: name.to_string(),
                profile: Some(profile),
                context_length,
                spec,
            });
        }
        let repo = RepoId::parse(name).map_err(|_| not_found())?;
        let plan = LoadPlan {
            key: repo.to_string(),
            model: repo,
            revision: None,
            context_length: None,
            pin: false,
            keep_alive: None,
        };
        let (spec, context_length) = self.plan_load(plan).await.map_err(|error| match error {
            ServingError::NotDownloaded(_) => not_found(),
            other => other,
        })?;
        Ok(ModelTarget {
            name: name.to_string(),
            profile: None,
            context_length,
            spec,
        })
    }

    /// Refuses a member's request for a model that is not loaded (or loading) while
    /// `members_load_models` is off. Using a loaded model is open to every approved user.
    pub async fn check_may_run(
        &self,
        actor: &User,
        target: &ModelTarget,
    ) -> Result<(), ServingError> {
        let resident = matches!(
            self.inner.pool.status(target.key()).map(|s| s.state),
            Some(ModelState::Ready | ModelState::Loading { .. })
        );
        if !resident {
            self.inner.permissions.check_load_models(actor).await?;
        }
        Ok(())
    }

    /// Everything a model API request needs before it runs: the model it names resolved
    /// ([`Serving::resolve_model`]), the caller allowed to run it ([`Serving::check_may_run`])
    /// and the profile's defaults joined with the request's fields.
    pub async fn prepare_generation(
        &self,
        actor: &User,
        model: &str,
        request: ClientRequest,
    ) -> Result<PreparedGeneration, ServingError> {
        let target = self.resolve_model(model).await?;
        self.check_may_run(actor, &target).await?;
        let request = target.generation_request(request);
        Ok(PreparedGeneration {
            serving: self.clone(),
            target,
            request,
            observer: None,
        })
    }

    /// How many tokens the request's prompt makes (the profile's system prompt and template
    /// options included), from the model's tokenizer and chat template alone: nothing loads,
    /// so this needs no permission beyond being signed in.
    pub async fn count_prompt_tokens(
        &self,
        model: &str,
        request: ClientRequest,
    ) -> Result<usize, ServingError> {
        let target = self.resolve_model(model).await?;
        let prompt = target.generation_request(request).prompt;
        let dir = target.spec.dir.clone();
        Ok(run_blocking(move || count_prompt_tokens(&dir, &prompt)).await??)
    }
}

/// A generation ready to start.
pub struct PreparedGeneration {
    serving: Serving,
    target: ModelTarget,
    request: GenerationRequest,
    observer: Option<(Arc<dyn GenerationObserver>, &'static str)>,
}

impl PreparedGeneration {
    /// The model as the request named it (responses echo it).
    pub fn model_name(&self) -> &str {
        &self.target.name
    }

    /// Tells `observer` how the generation goes, as a request of `endpoint` (e.g. `chat`).
    pub fn observed(
        mut self,
        observer: Arc<dyn GenerationObserver>,
        endpoint: &'static str,
    ) -> Self {
        self.observer = Some((observer, endpoint));
        self
    }

    /// Watches the model's load, for a request that waits on it to report progress.
    pub fn load_watch(&self) -> LoadWatch {
        LoadWatch {
            serving: self.serving.clone(),
            key: self.target.key().to_string(),
        }
    }

    /// Takes a turn on the model (loading it first when it is not loaded, within the pool's
    /// budget, eviction and queue rules) and starts the generation. The future asks the pool at
    /// its first poll: a full queue or a model that cannot fit fails then, before the caller
    /// commits to a streamed answer.
    pub async fn start(self) -> Result<Generation, ServingError> {
        let mut observed = self.observer.map(|(observer, endpoint)| {
            Observed::new(observer, self.target.name.clone(), endpoint)
        });
        let lease = match self.serving.inner.pool.acquire(self.target.spec).await {
            Ok(lease) => lease,
            Err(error) => {
                if let Some(observed) = &mut observed {
                    observed.ended_early(EndedEarly::Refused);
                }
                return Err(error.into());
            }
        };
        let events = lease.model().generate(self.request);
        Ok(Generation {
            lease,
            events,
            done: false,
            observed,
        })
    }
}

/// A model's load as the pool reports it.
#[derive(Clone)]
pub struct LoadWatch {
    serving: Serving,
    key: String,
}

impl LoadWatch {
    /// The pool's name for the model.
    pub fn model(&self) -> &str {
        &self.key
    }

    /// The bytes read so far, while the model is loading.
    pub fn loading(&self) -> Option<LoadProgress> {
        match self.serving.inner.pool.status(&self.key)?.state {
            ModelState::Loading { progress } => Some(progress),
            _ => None,
        }
    }
}

/// When a snapshot was written (its folder's modification time), in Unix seconds.
fn snapshot_created_secs(path: &std::path::Path) -> i64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}
