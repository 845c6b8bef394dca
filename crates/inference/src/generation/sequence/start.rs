//! A request becomes a sequence: its prompt read and checked, the longest cached prefix taken,
//! the start announced.

use std::collections::VecDeque;
use std::time::Instant;

use super::Sequence;
use crate::InferenceError;
use crate::generation::bundle::ModelBundle;
use crate::generation::output::{EventSink, Output};
use crate::generation::prompt_cache::SegmentKind;
use crate::generation::sampling::Sampler;
use crate::generation::stream::{CacheUse, GenerationEvent, GenerationRequest};
use crate::nn::KvCache;
use crate::text::reasoning::ReasoningSplitter;
use crate::text::tool_calls::ToolCallParser;
use crate::text::{StopStrings, StreamingDetokenizer};

impl<S: EventSink> Sequence<S> {
    /// Reads the request and takes the longest prefix the prompt cache holds (after leaving
    /// room for this request's keys and values and `others_bytes`, the other running
    /// requests'). `None` when the request is refused (the sink got the error).
    pub fn start(
        bundle: &ModelBundle,
        request: &GenerationRequest,
        prompt_cache: Option<&CacheUse>,
        others_bytes: u64,
        mut sink: S,
    ) -> Option<Self> {
        match Self::read(bundle, request, prompt_cache, others_bytes) {
            Ok(ready) => Some(ready.with(sink)),
            Err(error) => {
                sink.fail(error);
                None
            }
        }
    }

    /// Announces that its prompt is being processed (it runs from now on); false when nobody
    /// listens any more.
    pub fn announce(&mut self) -> bool {
        self.started = Instant::now();
        let started = GenerationEvent::Started {
            prompt_tokens: self.prompt.len(),
            cached_tokens: self.cached_tokens,
        };
        self.out.event(started)
    }

    fn read(
        bundle: &ModelBundle,
        request: &GenerationRequest,
        prompt_cache: Option<&CacheUse>,
        others_bytes: u64,
    ) -> Result<Unsent, InferenceError> {
        let prompt = bundle.prompt_ids(&request.prompt)?;
        let context = bundle.model.config.max_position_embeddings;
        if let Some(context) = context
            && prompt.len() >= context
        {
            return Err(InferenceError::PromptTooLong {
                prompt: prompt.len(),
                context,
            });
        }
        if prompt.is_empty() {
            return Err(InferenceError::Tokenizer("the prompt is empty".into()));
        }
        // Positions beyond the context were never trained: the answer ends there (`Length`).
        let max_tokens = match context {
            Some(context) => request.max_tokens.min(context - prompt.len()),
            None => request.max_tokens,
        };
        let sampler = Sampler::new(request.sampling.clone())?;
        let splitter = match (request.split_reasoning, bundle.reasoning) {
            (true, Some(tags)) => Some(ReasoningSplitter::new(tags.opened_by(&prompt))),
            _ => None,
        };
        let tool_calls = match request.parse_tool_calls {
            true => bundle.tool_format().map(ToolCallParser::new),
            false => None,
        };
        let kv_bytes_per_token = prompt_cache.map_or(0, |store| store.kv_bytes_per_token);
        let reserved_bytes = (prompt.len() + max_tokens) as u64 * kv_bytes_per_token;
        let (hit, segments) = match prompt_cache {
            Some(store) => {
                let mut entries = store.lock();
                let limit = entries.limit_bytes();
                entries.shrink_to(limit.saturating_sub(reserved_bytes + others_bytes));
                let hit = entries.fetch(&prompt);
                drop(entries);
                (hit, bundle.segment_ends(&request.prompt, &prompt))
            }
            None => (None, Vec::new()),
        };
        let (cache, cached_tokens) = match hit {
            Some(hit) => (hit.cache, hit.tokens),
            None => (bundle.model.new_cache(), 0),
        };
        Ok(Unsent {
            prompt,
            segments: segments.into_iter().collect(),
            cache,
            cached_tokens,
            max_tokens,
            reserved_bytes,
            sampler,
            scores: request.logprobs,
            splitter,
            tool_calls,
            stops: StopStrings::new(request.stop.iter().cloned()),
        })
    }
}

/// A request read and ready, before it has anywhere to send events.
struct Unsent {
    prompt: Vec<u32>,
    segments: VecDeque<(usize, SegmentKind)>,
    cache: KvCache,
    cached_tokens: usize,
    max_tokens: usize,
    reserved_bytes: u64,
    sampler: Sampler,
    scores: Option<usize>,
    splitter: Option<ReasoningSplitter>,
    tool_calls: Option<ToolCallParser>,
    stops: StopStrings,
}

impl Unsent {
    fn with<S: EventSink>(self, sink: S) -> Sequence<S> {
        Sequence {
            history: self.prompt.clone(),
            filled: self.cached_tokens,
            prompt: self.prompt,
            segments: self.segments,
            cache: self.cache,
            cached_tokens: self.cached_tokens,
            max_tokens: self.max_tokens,
            reserved_bytes: self.reserved_bytes,
            sampler: self.sampler,
            scores: self.scores,
            out: Output::new(sink, self.splitter, self.tool_calls),
            detokenizer: StreamingDetokenizer::new(),
            stops: self.stops,
            next: None,
            generated: 0,
            started: Instant::now(),
            first_token_at: None,
        }
    }
}
