//! Servers: profiles whose model is loaded. Starting, stopping, restarting, status, a real
//! health generation, memory, and the pool's events.

use std::time::Instant;

use mlx_manager_core::CoreError;
use mlx_manager_core::domain::{Profile, RepoId, Revision, User};
use mlx_manager_core::memory::{MemoryNeed, SystemMemory};
use mlx_manager_hub::local_model_at;
use mlx_manager_inference::ModelFootprint;
use mlx_manager_inference::generation::pool::{
    KeepAlive, LoadSpec, ModelState, ModelStatus, PoolEvent, PoolSnapshot, StartOutcome,
};
use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{GenerationEvent, GenerationRequest, Prompt};
use tokio::sync::broadcast;

use crate::pool_config::keep_alive;
use crate::profiles::{context_too_long, run_blocking};
use crate::service::model_key;
use crate::{Serving, ServingError};

/// A profile, as a server names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRef {
    pub id: i32,
    pub name: String,
}

/// One loaded (or loading, leaving, failed) model and the profile it serves; `profile` is
/// `None` for a model loaded by its repository id.
#[derive(Debug, Clone)]
pub struct Server {
    pub profile: Option<ProfileRef>,
    pub model: ModelStatus,
}

/// The context a model is planned for when neither the profile nor the model says.
const FALLBACK_CONTEXT: u64 = 4096;

/// A one-token generation's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub response_time_ms: f64,
    pub tokens: usize,
}

/// The pool's memory against the machine's.
#[derive(Debug, Clone)]
pub struct MemoryReport {
    pub pool: PoolSnapshot,
    pub system: SystemMemory,
}

impl Serving {
    /// One entry per profile whose model is in the pool, and one per model loaded without a
    /// profile; by profile name, then model.
    pub async fn servers(&self) -> Result<Vec<Server>, ServingError> {
        let profiles = self.inner.profiles.list().await?;
        Ok(servers_of(self.inner.pool.snapshot(), &profiles))
    }

    /// Starts loading a profile's model (pinned when the profile auto-starts). `AlreadyReady`
    /// when it is loaded. Refused when the model is not downloaded, its context is longer than
    /// the model's, or it cannot fit beside models that cannot be evicted.
    pub async fn start_server(
        &self,
        actor: &User,
        profile_id: i32,
    ) -> Result<(StartOutcome, ModelStatus), ServingError> {
        self.inner.permissions.check_control_servers(actor).await?;
        let profile = self.inner.profiles.get(profile_id).await?;
        self.start_profile(&profile).await
    }

    async fn start_profile(
        &self,
        profile: &Profile,
    ) -> Result<(StartOutcome, ModelStatus), ServingError> {
        let spec = self.load_spec(profile).await?;
        let key = spec.key.clone();
        let outcome = self.inner.pool.start(spec).await?;
        let status = self.inner.pool.status(&key).ok_or_else(|| {
            ServingError::TaskFailed(format!("{key} left the pool as it started"))
        })?;
        Ok((outcome, status))
    }

    /// Unloads the profile's model once its requests end, or at once when `force` cancels them.
    pub async fn stop_server(
        &self,
        actor: &User,
        profile_id: i32,
        force: bool,
    ) -> Result<(), ServingError> {
        self.inner.permissions.check_control_servers(actor).await?;
        let profile = self.inner.profiles.get(profile_id).await?;
        Ok(self.inner.pool.stop(&model_key(&profile), force).await?)
    }

    /// Unloads the profile's model and loads it again.
    pub async fn restart_server(
        &self,
        actor: &User,
        profile_id: i32,
    ) -> Result<(StartOutcome, ModelStatus), ServingError> {
        self.inner.permissions.check_control_servers(actor).await?;
        let profile = self.inner.profiles.get(profile_id).await?;
        let key = model_key(&profile);
        if self.inner.pool.status(&key).is_none() {
            return Err(mlx_manager_inference::InferenceError::NotLoaded { model: key }.into());
        }
        self.inner.pool.stop(&key, false).await?;
        self.start_profile(&profile).await
    }

    /// The profile's model in the pool, or `None` when it is stopped.
    pub async fn server_status(
        &self,
        profile_id: i32,
    ) -> Result<Option<ModelStatus>, ServingError> {
        let profile = self.inner.profiles.get(profile_id).await?;
        Ok(self.inner.pool.status(&model_key(&profile)))
    }

    /// Generates one token on the profile's loaded model and times it (its turn in the queue
    /// included). Refused when the model is not ready: a health check never loads a model.
    pub async fn server_health(&self, profile_id: i32) -> Result<Health, ServingError> {
        let profile = self.inner.profiles.get(profile_id).await?;
        let key = model_key(&profile);
        match self.inner.pool.status(&key).map(|s| s.state) {
            Some(ModelState::Ready) => {}
            _ => {
                return Err(mlx_manager_inference::InferenceError::NotLoaded { model: key }.into());
            }
        }
        let started = Instant::now();
        let spec = self.load_spec(&profile).await?;
        let mut lease = self.inner.pool.acquire(spec).await?;
        let mut events = lease.model().generate(GenerationRequest {
            prompt: Prompt::Text("Hello".into()),
            max_tokens: 1,
            sampling: SamplingParams::default(),
            stop: Vec::new(),
            split_reasoning: false,
            parse_tool_calls: false,
            logprobs: None,
        });
        let mut tokens = 0;
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = lease.cancelled() => {
                    return Err(mlx_manager_inference::InferenceError::Stopped { model: key }.into());
                }
            };
            match event {
                Some(Ok(
                    GenerationEvent::Started { .. }
                    | GenerationEvent::ToolCall(_)
                    | GenerationEvent::Logprob(_),
                )) => {}
                Some(Ok(GenerationEvent::Delta { .. } | GenerationEvent::Reasoning { .. })) => {
                    tokens += 1
                }
                Some(Ok(GenerationEvent::Finished { stats, .. })) => {
                    lease.record(stats.generated_tokens as u64, stats.decode_tokens_per_sec);
                    break;
                }
                Some(Err(error)) => return Err(error.into()),
                None => break,
            }
        }
        Ok(Health {
            response_time_ms: started.elapsed().as_secs_f64() * 1000.0,
            tokens,
        })
    }

    pub fn memory(&self) -> MemoryReport {
        MemoryReport {
            pool: self.inner.pool.snapshot(),
            system: SystemMemory::read(),
        }
    }

    /// The servers now and every pool change after them (numbered from the snapshot's number).
    pub async fn watch_servers(
        &self,
    ) -> Result<(Vec<Server>, u64, broadcast::Receiver<PoolEvent>), ServingError> {
        let profiles = self.inner.profiles.list().await?;
        // Subscribe first: a change between the two is then seen (possibly twice), never lost.
        let events = self.inner.pool.subscribe();
        let (snapshot, sequence) = self.inner.pool.snapshot_with_sequence();
        Ok((servers_of(snapshot, &profiles), sequence, events))
    }

    /// The profiles a pool model serves (for events).
    pub async fn profiles_of_model(&self, key: &str) -> Result<Vec<ProfileRef>, ServingError> {
        let profiles = self.inner.profiles.list().await?;
        Ok(profiles
            .iter()
            .filter(|p| model_key(p) == key)
            .map(profile_ref)
            .collect())
    }

    /// Loads every `auto_start` profile in the background, pinned; failures are logged and
    /// shown in their servers' status.
    pub fn start_auto_start_profiles(&self) {
        let serving = self.clone();
        tokio::spawn(async move {
            let profiles = match serving.inner.profiles.auto_start().await {
                Ok(profiles) => profiles,
                Err(error) => {
                    tracing::error!(%error, "cannot read the auto-start profiles");
                    return;
                }
            };
            for profile in profiles {
                match serving.start_profile(&profile).await {
                    Ok(_) => tracing::info!(profile = %profile.spec.name, "auto-start: loading"),
                    Err(error) => {
                        tracing::warn!(profile = %profile.spec.name, %error, "auto-start failed")
                    }
                }
            }
        });
    }

    /// What the pool needs to load a profile's model: its directory in the cache and the memory
    /// it will take (weights + the KV cache of its context + overhead), read from its files.
    pub(crate) async fn load_spec(&self, profile: &Profile) -> Result<LoadSpec, ServingError> {
        Ok(self.plan_load(profile_plan(profile)).await?.0)
    }

    /// The [`LoadSpec`] of a model of the cache and the context it is planned for.
    pub(crate) async fn plan_load(&self, plan: LoadPlan) -> Result<(LoadSpec, u64), ServingError> {
        let cache = self.inner.hub.catalog().cache().clone();
        let (model, revision) = (plan.model.clone(), plan.revision.clone());
        let found = run_blocking(move || {
            local_model_at(&cache, &model, revision.as_ref())
                .filter(|local| local.ready)
                .map(|local| {
                    let dir = local.path;
                    (ModelFootprint::read(&dir), directory_bytes(&dir), dir)
                })
        })
        .await?;
        let Some((footprint, files_bytes, dir)) = found else {
            return Err(ServingError::NotDownloaded(format!(
                "{} is not downloaded; download it first",
                plan.model
            )));
        };
        let footprint = match footprint {
            Ok(footprint) => footprint,
            // Unreadable files: let the load itself fail, so the error shows in the model's
            // status like any failed load; plan for the files' size meanwhile.
            Err(error) => {
                tracing::debug!(model = %plan.model, %error, "no footprint; estimating from file sizes");
                ModelFootprint {
                    weight_bytes: files_bytes,
                    kv_cache_bytes_per_token: 0,
                    context_length: None,
                }
            }
        };
        let context = match (plan.context_length, footprint.context_length) {
            (Some(requested), Some(max)) if requested as usize > max => {
                return Err(ServingError::Core(CoreError::InvalidFields(vec![
                    context_too_long(requested, max),
                ])));
            }
            (Some(requested), _) => u64::from(requested),
            (None, Some(max)) => max as u64,
            (None, None) => FALLBACK_CONTEXT,
        };
        let need = MemoryNeed::estimate(
            footprint.weight_bytes,
            Some(footprint.kv_cache_bytes_per_token),
            context,
        );
        let spec = LoadSpec {
            key: plan.key,
            dir,
            need_bytes: need.total_bytes(),
            pin: plan.pin,
            keep_alive: plan.keep_alive,
        };
        Ok((spec, context))
    }
}

/// How a profile's model loads.
pub(crate) fn profile_plan(profile: &Profile) -> LoadPlan {
    LoadPlan {
        key: model_key(profile),
        model: profile.spec.model.clone(),
        revision: profile.spec.revision.clone(),
        context_length: profile.spec.context_length.map(|c| c.get()),
        pin: profile.spec.auto_start,
        keep_alive: profile.spec.keep_alive.map(keep_alive),
    }
}

/// A model of the cache to plan a load for.
pub(crate) struct LoadPlan {
    /// The pool's name for it.
    pub key: String,
    pub model: RepoId,
    pub revision: Option<Revision>,
    /// `None`: the model's own.
    pub context_length: Option<u32>,
    pub pin: bool,
    pub keep_alive: Option<KeepAlive>,
}

fn directory_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| std::fs::metadata(e.path()).ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn profile_ref(profile: &Profile) -> ProfileRef {
    ProfileRef {
        id: profile.id,
        name: profile.spec.name.as_str().to_string(),
    }
}

fn servers_of(snapshot: PoolSnapshot, profiles: &[Profile]) -> Vec<Server> {
    let mut servers = Vec::new();
    for model in snapshot.models {
        let mut matched = profiles
            .iter()
            .filter(|p| model_key(p) == model.key)
            .peekable();
        if matched.peek().is_none() {
            servers.push(Server {
                profile: None,
                model,
            });
            continue;
        }
        for profile in matched {
            servers.push(Server {
                profile: Some(profile_ref(profile)),
                model: model.clone(),
            });
        }
    }
    servers.sort_by(|a, b| {
        let name = |s: &Server| s.profile.as_ref().map(|p| p.name.to_lowercase());
        (name(a).is_none(), name(a), &a.model.key).cmp(&(name(b).is_none(), name(b), &b.model.key))
    });
    servers
}
