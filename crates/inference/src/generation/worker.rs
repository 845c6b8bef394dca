//! A model's worker: the model loaded and served on its own thread. Compute never runs on the
//! async executor, requests are served one after another without reloading, and dropping a
//! request's receiver cancels it within one step.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::mpsc as async_mpsc;

use super::stream::{GenerationEvent, GenerationRequest, Prompt, run};
use crate::InferenceError;
use crate::model::Model;
use crate::text::Tokenizer;
use crate::text::chat_template::ChatTemplate;

/// Events of one request; an `Err` ends the stream.
pub type EventReceiver = async_mpsc::Receiver<Result<GenerationEvent, InferenceError>>;

/// Facts about a model the rest of the application shows and plans with.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    pub architecture: String,
    pub parameters: u64,
    pub bytes_on_disk: u64,
    /// Weights plus MLX's working memory, for deciding whether a model fits.
    pub estimated_memory_bytes: u64,
    pub context_length: Option<usize>,
    pub quantization_bits: Option<i32>,
    pub has_chat_template: bool,
}

/// Everything generation needs from one model directory; the worker thread owns it.
pub struct ModelBundle {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub template: Option<ChatTemplate>,
    pub eos_ids: BTreeSet<u32>,
}

impl ModelBundle {
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        let model = Model::load(dir)?;
        let tokenizer = Tokenizer::load(dir)?;
        let template = ChatTemplate::load(dir)?;
        let eos_ids = eos_ids(dir, &model, &tokenizer);
        Ok(Self {
            model,
            tokenizer,
            template,
            eos_ids,
        })
    }

    pub fn prompt_ids(&self, prompt: &Prompt) -> Result<Vec<u32>, InferenceError> {
        match prompt {
            Prompt::Tokens(ids) => Ok(ids.clone()),
            Prompt::Text(text) => self.tokenizer.encode(text, true),
            Prompt::Chat { messages, options } => {
                let template = self.template.as_ref().ok_or_else(|| {
                    InferenceError::Tokenizer(
                        "this model has no chat template; send a plain prompt".into(),
                    )
                })?;
                let rendered = template.render(messages, options)?;
                // The template already wrote any BOS; adding special tokens would double it.
                self.tokenizer.encode(&rendered, false)
            }
        }
    }
}

/// End-of-sequence ids from config.json, generation_config.json and the tokenizer's eos token.
fn eos_ids(dir: &Path, model: &Model, tokenizer: &Tokenizer) -> BTreeSet<u32> {
    let mut ids: BTreeSet<u32> = model
        .config
        .eos_token_id
        .iter()
        .flat_map(|e| e.ids())
        .collect();
    if let Ok(text) = std::fs::read_to_string(dir.join("generation_config.json"))
        && let Ok(config) = serde_json::from_str::<serde_json::Value>(&text)
    {
        match &config["eos_token_id"] {
            serde_json::Value::Number(n) => ids.extend(n.as_u64().map(|n| n as u32)),
            serde_json::Value::Array(list) => {
                ids.extend(list.iter().filter_map(|v| v.as_u64()).map(|n| n as u32))
            }
            _ => {}
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("tokenizer_config.json"))
        && let Ok(config) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let eos = &config["eos_token"];
        let token = eos.as_str().or_else(|| eos["content"].as_str());
        ids.extend(token.and_then(|t| tokenizer.token_id(t)));
    }
    ids
}

struct Job {
    request: GenerationRequest,
    events: async_mpsc::Sender<Result<GenerationEvent, InferenceError>>,
}

/// A model loaded and served on its own thread; dropping the worker ends the thread after its
/// current request.
pub struct ModelWorker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    pub facts: ModelFacts,
    pub dir: PathBuf,
}

impl ModelWorker {
    /// Loads the model on a new thread and waits until it is ready. Blocking: call it from a
    /// blocking context (e.g. `spawn_blocking`).
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let model_dir = dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name(format!(
                "model:{}",
                dir.file_name().and_then(|n| n.to_str()).unwrap_or("model")
            ))
            .spawn(move || {
                let bundle =
                    match ModelBundle::load(&model_dir).and_then(|b| facts(&b).map(|f| (b, f))) {
                        Ok((bundle, facts)) => {
                            let _ = ready_tx.send(Ok(facts));
                            bundle
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                for job in jobs_rx {
                    let events = job.events;
                    let result = run(&bundle, &job.request, |event| {
                        events.blocking_send(Ok(event)).is_ok()
                    });
                    if let Err(error) = result {
                        let _ = events.blocking_send(Err(error));
                    }
                }
            })
            .map_err(|e| InferenceError::Mlx(format!("cannot start the model thread: {e}")))?;
        let facts = ready_rx
            .recv()
            .map_err(|_| InferenceError::Mlx("the model thread stopped while loading".into()))??;
        Ok(Self {
            jobs: Some(jobs_tx),
            thread: Some(thread),
            facts,
            dir: dir.to_path_buf(),
        })
    }

    /// Queues a request; events arrive on the returned receiver. Drop it to cancel.
    pub fn generate(&self, request: GenerationRequest) -> EventReceiver {
        let (events, receiver) = async_mpsc::channel(64);
        let job = Job { request, events };
        if let Some(jobs) = &self.jobs
            && let Err(mpsc::SendError(job)) = jobs.send(job)
        {
            let _ = job.events.try_send(Err(InferenceError::Mlx(
                "the model thread has stopped".into(),
            )));
        }
        receiver
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

fn facts(bundle: &ModelBundle) -> Result<ModelFacts, InferenceError> {
    let config = &bundle.model.config;
    let bytes = bundle.model.bytes_on_disk;
    Ok(ModelFacts {
        architecture: config.model_type.clone(),
        parameters: bundle.model.parameter_count,
        bytes_on_disk: bytes,
        // Weights as stored plus ~10% for activations and MLX's buffers at short contexts.
        estimated_memory_bytes: bytes + bytes / 10,
        context_length: config.max_position_embeddings,
        quantization_bits: config.quantization.map(|q| q.bits),
        has_chat_template: bundle.template.is_some(),
    })
}
