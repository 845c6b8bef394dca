//! Who is told how each model-API generation went — the API's metrics — without the serving
//! layer knowing what they do with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mlx_manager_inference::generation::{GenerationEvent, GenerationStats};

/// How a generation ended short of finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedEarly {
    /// The pool refused it or the model failed to load (it never started).
    Refused,
    /// The engine failed, or the model was stopped under it.
    Failed,
    /// The client went away (or its time ran out) before the end.
    Cancelled,
}

impl EndedEarly {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Failed => "error",
            Self::Cancelled => "cancelled",
        }
    }
}

pub trait GenerationObserver: Send + Sync {
    /// The prompt was read (`prompt_tokens` long); generation begins.
    fn started(&self, _prompt_tokens: usize) {}
    /// The answer's first token (text or reasoning) was produced.
    fn first_token(&self) {}
    /// The time between two generated tokens of one answer.
    fn token_gap(&self, gap: Duration);
    fn finished(&self, model: &str, endpoint: &'static str, stats: &GenerationStats);
    fn ended_early(&self, model: &str, endpoint: &'static str, how: EndedEarly);
}

/// One generation's observer and what it needs to report.
pub(crate) struct Observed {
    observer: Arc<dyn GenerationObserver>,
    model: String,
    endpoint: &'static str,
    last_token: Option<Instant>,
    reported: bool,
}

impl Observed {
    pub fn new(
        observer: Arc<dyn GenerationObserver>,
        model: String,
        endpoint: &'static str,
    ) -> Self {
        Self {
            observer,
            model,
            endpoint,
            last_token: None,
            reported: false,
        }
    }

    pub fn event(&mut self, event: &GenerationEvent) {
        match event {
            GenerationEvent::Delta { .. } | GenerationEvent::Reasoning { .. } => {
                let now = Instant::now();
                match self.last_token.replace(now) {
                    Some(last) => self.observer.token_gap(now - last),
                    None => self.observer.first_token(),
                }
            }
            GenerationEvent::Finished { stats, .. } => {
                self.reported = true;
                self.observer.finished(&self.model, self.endpoint, stats);
            }
            GenerationEvent::Started { prompt_tokens, .. } => self.observer.started(*prompt_tokens),
            GenerationEvent::ToolCall(_) | GenerationEvent::Logprob(_) => {}
        }
    }

    pub fn ended_early(&mut self, how: EndedEarly) {
        if !self.reported {
            self.reported = true;
            self.observer.ended_early(&self.model, self.endpoint, how);
        }
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        self.ended_early(EndedEarly::Cancelled);
    }
}
