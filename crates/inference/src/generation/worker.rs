//! A model's worker: the model loaded and served on its own thread. Compute never runs on the
//! async executor; up to the batch bound, requests run together (`batch.rs`), the others wait
//! their turn in arrival order; dropping a request's receiver cancels it within one step.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use tokio::sync::mpsc as async_mpsc;
use tokio::sync::oneshot;

use super::batch::Batch;
use super::bundle::ModelBundle;
use super::embedding::{EmbeddingRequest, Embeddings, embed};
use super::output::EventSink;
use super::prompt_cache::{PromptCache, lock};
use super::stream::{CacheUse, GenerationEvent, GenerationRequest};
use crate::InferenceError;

/// Events of one request; an `Err` ends the stream.
/// Unbounded: the batch's thread never waits for one slow reader while the others decode (a
/// request's events are bounded by its `max_tokens`).
pub type EventReceiver = async_mpsc::UnboundedReceiver<Result<GenerationEvent, InferenceError>>;
type EventSender = async_mpsc::UnboundedSender<Result<GenerationEvent, InferenceError>>;

/// Requests decoded together unless told otherwise.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 8;

/// Facts about a model the rest of the application shows and plans with.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    pub architecture: String,
    pub parameters: u64,
    pub bytes_on_disk: u64,
    /// Bytes the KV cache grows by per token of context: 2 (keys and values) × layers × kv
    /// heads × head dim × bytes of the dtype the cache stores. Only this crate knows that dtype
    /// (it follows the checkpoint's), so memory estimates take this figure from here.
    pub kv_cache_bytes_per_token: u64,
    pub context_length: Option<usize>,
    pub quantization_bits: Option<i32>,
    pub has_chat_template: bool,
}

/// Where a loaded model's memory figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemorySource {
    /// The growth of MLX's active memory (`get_active_memory`) across the load.
    MlxActiveMemory,
    /// The bytes of the loaded tensors: used when the active-memory growth is unusable (smaller
    /// than the tensors, e.g. because another model freed memory meanwhile).
    WeightBytes,
}

/// The memory a model took when it loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeasuredMemory {
    pub resident_bytes: u64,
    pub source: MemorySource,
    /// What the process grew by beyond that: host memory outside MLX's arrays (the tokenizer,
    /// ~40 MB for a 151k-token vocabulary; the chat template). 0 where it cannot be read.
    pub host_bytes: u64,
}

/// Weight bytes read so far and in all (the files' sizes, advancing layer by layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoadProgress {
    pub bytes_loaded: u64,
    pub bytes_total: u64,
}

enum Job {
    Generate {
        request: GenerationRequest,
        events: EventSender,
    },
    Embed {
        request: EmbeddingRequest,
        reply: oneshot::Sender<Result<Embeddings, InferenceError>>,
    },
}

/// A model loaded and served on its own thread; dropping the worker ends the thread after its
/// current request.
pub struct ModelWorker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    prompt_cache: Arc<Mutex<PromptCache>>,
    prompt_cache_bytes: Arc<AtomicU64>,
    running_kv_bytes: Arc<AtomicU64>,
    max_batch_size: Arc<AtomicUsize>,
    room_bytes: Arc<AtomicU64>,
    pub facts: ModelFacts,
    pub dir: PathBuf,
    pub memory: MeasuredMemory,
}

impl ModelWorker {
    /// Loads the model on a new thread and waits until it is ready. Blocking: call it from a
    /// blocking context (e.g. `spawn_blocking`).
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        Self::load_with_progress(dir, |_| {})
    }

    /// [`ModelWorker::load`], calling `progress` (on the model's thread) before the weights are
    /// read and after each weights file. The memory it took is measured as MLX's active memory
    /// growth across the load; loads running at the same time blur that figure, so callers
    /// that load several models (the pool) load one at a time.
    pub fn load_with_progress(
        dir: &Path,
        mut progress: impl FnMut(LoadProgress) + Send + 'static,
    ) -> Result<Self, InferenceError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let model_dir = dir.to_path_buf();
        let prompt_cache = Arc::new(Mutex::new(PromptCache::new(0)));
        let thread_cache = prompt_cache.clone();
        let running_kv_bytes = Arc::new(AtomicU64::new(0));
        let max_batch_size = Arc::new(AtomicUsize::new(DEFAULT_MAX_BATCH_SIZE));
        let room_bytes = Arc::new(AtomicU64::new(0));
        let serving = Serving {
            running_kv_bytes: running_kv_bytes.clone(),
            max_batch_size: max_batch_size.clone(),
            room_bytes: room_bytes.clone(),
            prompt_cache: prompt_cache.clone(),
        };
        let thread_room = room_bytes.clone();
        let thread = std::thread::Builder::new()
            .name(format!(
                "model:{}",
                dir.file_name().and_then(|n| n.to_str()).unwrap_or("model")
            ))
            .spawn(move || {
                let before = Footprint::now();
                let mut report = |bytes_loaded, bytes_total| {
                    progress(LoadProgress {
                        bytes_loaded,
                        bytes_total,
                    })
                };
                let loaded = ModelBundle::load(&model_dir, &mut report)
                    .and_then(|b| facts(&b).map(|f| (b, f)));
                let (bundle, kv_bytes_per_token) = match loaded {
                    Ok((bundle, facts)) => {
                        let memory = measured(before, bundle.model.resident_bytes);
                        let kv_bytes_per_token = facts.kv_cache_bytes_per_token;
                        // Until told otherwise (the pool does), one full context's worth.
                        let context = facts.context_length.unwrap_or(DEFAULT_CONTEXT) as u64;
                        lock(&thread_cache).set_limit(kv_bytes_per_token * context);
                        thread_room.store(kv_bytes_per_token * context, Ordering::Relaxed);
                        let _ = ready_tx.send(Ok((facts, memory)));
                        (bundle, kv_bytes_per_token)
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                        return;
                    }
                };
                serving.serve(&bundle, kv_bytes_per_token, jobs_rx);
            })
            .map_err(|e| InferenceError::Mlx(format!("cannot start the model thread: {e}")))?;
        let (facts, memory) = ready_rx
            .recv()
            .map_err(|_| InferenceError::Mlx("the model thread stopped while loading".into()))??;
        let prompt_cache_bytes = lock(&prompt_cache).held_bytes();
        Ok(Self {
            jobs: Some(jobs_tx),
            thread: Some(thread),
            prompt_cache,
            prompt_cache_bytes,
            running_kv_bytes,
            max_batch_size,
            room_bytes,
            facts,
            dir: dir.to_path_buf(),
            memory,
        })
    }

    /// Queues a request; events arrive on the returned receiver. Drop it to cancel.
    pub fn generate(&self, request: GenerationRequest) -> EventReceiver {
        let (events, receiver) = async_mpsc::unbounded_channel();
        let job = Job::Generate { request, events };
        if let Some(Job::Generate { events, .. }) = self.queue(job) {
            let _ = events.send(Err(stopped()));
        }
        receiver
    }

    /// Embeds the request's inputs after the requests queued before it. Dropping the future
    /// cancels it between inputs.
    pub async fn embed(&self, request: EmbeddingRequest) -> Result<Embeddings, InferenceError> {
        let (reply, answer) = oneshot::channel();
        if self.queue(Job::Embed { request, reply }).is_some() {
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }

    /// Bytes the prompt cache holds now (part of the model's memory).
    pub fn prompt_cache_bytes(&self) -> u64 {
        self.prompt_cache_bytes.load(Ordering::Relaxed)
    }

    /// A live count of the prompt cache's bytes, to read from anywhere.
    pub fn prompt_cache_counter(&self) -> Arc<AtomicU64> {
        self.prompt_cache_bytes.clone()
    }

    /// A live count of the bytes the running requests' keys and values hold.
    pub fn running_kv_counter(&self) -> Arc<AtomicU64> {
        self.running_kv_bytes.clone()
    }

    /// Requests decoded together at most (at least 1); the others wait their turn.
    pub fn set_max_batch_size(&self, requests: usize) {
        self.max_batch_size
            .store(requests.max(1), Ordering::Relaxed);
    }

    pub fn max_batch_size(&self) -> usize {
        self.max_batch_size.load(Ordering::Relaxed)
    }

    /// What the model may hold beyond its weights: its running requests' keys and values and
    /// its prompt cache. A request joins the running ones while theirs and its prompt's fit
    /// (one runs whatever its size).
    pub fn set_memory_room(&self, bytes: u64) {
        self.room_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Bounds the prompt cache (0 turns it off); entries beyond the bound go at once.
    pub fn set_prompt_cache_limit(&self, bytes: u64) {
        lock(&self.prompt_cache).set_limit(bytes);
    }

    /// Drops every cached prompt, handing their memory back.
    pub fn clear_prompt_cache(&self) {
        lock(&self.prompt_cache).clear();
    }

    /// Hands a job to the model's thread; gives it back if the thread has stopped.
    fn queue(&self, job: Job) -> Option<Job> {
        match &self.jobs {
            Some(jobs) => jobs.send(job).err().map(|mpsc::SendError(job)| job),
            None => Some(job),
        }
    }
}

impl Drop for ModelWorker {
    fn drop(&mut self) {
        // Closing the queue ends the thread after its current request.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the model's thread shares with its [`ModelWorker`].
struct Serving {
    running_kv_bytes: Arc<AtomicU64>,
    max_batch_size: Arc<AtomicUsize>,
    room_bytes: Arc<AtomicU64>,
    prompt_cache: Arc<Mutex<PromptCache>>,
}

impl Serving {
    /// Serves jobs until the queue closes and the last request has finished: waits while idle,
    /// otherwise takes what has arrived (up to the batch bound) between steps.
    fn serve(&self, bundle: &ModelBundle, kv_bytes_per_token: u64, jobs: mpsc::Receiver<Job>) {
        let mut batch = Batch::new();
        let mut open = true;
        while open || !batch.is_empty() {
            let caching = lock(&self.prompt_cache).limit_bytes() > 0;
            let cache_use = caching.then_some(CacheUse {
                store: &self.prompt_cache,
                kv_bytes_per_token,
            });
            let cache_use = cache_use.as_ref();
            if batch.is_empty() {
                match jobs.recv() {
                    Ok(job) => arrived(&mut batch, bundle, cache_use, job),
                    Err(_) => open = false,
                }
            }
            while open && batch.len() < self.max_batch_size.load(Ordering::Relaxed) {
                match jobs.try_recv() {
                    Ok(job) => arrived(&mut batch, bundle, cache_use, job),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => open = false,
                }
            }
            let room = self.room_bytes.load(Ordering::Relaxed);
            batch.let_in(room, kv_bytes_per_token);
            batch.step(bundle, cache_use);
            self.running_kv_bytes
                .store(batch.kv_bytes(), Ordering::Relaxed);
        }
    }
}

/// A generation joins the batch; an embedding runs at once, between two steps.
fn arrived(
    batch: &mut Batch<Events>,
    bundle: &ModelBundle,
    cache_use: Option<&CacheUse>,
    job: Job,
) {
    match job {
        Job::Generate { request, events } => {
            batch.admit(bundle, &request, cache_use, Events(events))
        }
        Job::Embed { request, reply } => {
            let result = embed(bundle, &request, || reply.is_closed());
            let _ = reply.send(result);
        }
    }
}

/// A request's events, sent to its receiver.
struct Events(EventSender);

impl EventSink for Events {
    fn send(&mut self, event: GenerationEvent) -> bool {
        self.0.send(Ok(event)).is_ok()
    }

    fn closed(&self) -> bool {
        self.0.is_closed()
    }

    fn fail(&mut self, error: InferenceError) {
        let _ = self.0.send(Err(error));
    }
}

/// Context assumed for a model whose config does not state one.
const DEFAULT_CONTEXT: usize = 4096;

fn stopped() -> InferenceError {
    InferenceError::Mlx("the model thread has stopped".into())
}

/// MLX's active memory and the process's resident memory at one moment.
struct Footprint {
    mlx: Option<u64>,
    process: Option<u64>,
}

impl Footprint {
    fn now() -> Self {
        Self {
            mlx: mlx_rs::memory::active_memory()
                .ok()
                .map(|bytes| bytes as u64),
            process: crate::process_memory::resident_bytes(),
        }
    }
}

/// The memory a load took: MLX's growth, or the tensors' bytes when that growth does not
/// cover them (another model freed memory meanwhile); and the process's growth beyond it.
fn measured(before: Footprint, weight_bytes: u64) -> MeasuredMemory {
    let after = Footprint::now();
    let growth = |before: Option<u64>, after: Option<u64>| {
        before
            .zip(after)
            .map(|(b, a)| a.saturating_sub(b))
            .unwrap_or(0)
    };
    let mlx = growth(before.mlx, after.mlx);
    let (resident_bytes, source) = match mlx >= weight_bytes {
        true => (mlx, MemorySource::MlxActiveMemory),
        false => (weight_bytes, MemorySource::WeightBytes),
    };
    let process = growth(before.process, after.process);
    MeasuredMemory {
        resident_bytes,
        source,
        host_bytes: process.saturating_sub(resident_bytes),
    }
}

fn facts(bundle: &ModelBundle) -> Result<ModelFacts, InferenceError> {
    let config = &bundle.model.config;
    Ok(ModelFacts {
        architecture: config.model_type.clone(),
        parameters: bundle.model.parameter_count,
        bytes_on_disk: bundle.model.bytes_on_disk,
        kv_cache_bytes_per_token: bundle.model.kv_cache_bytes_per_token()?,
        context_length: config.max_position_embeddings,
        quantization_bits: config.quantization.map(|q| q.bits),
        has_chat_template: bundle.template.is_some(),
    })
}
