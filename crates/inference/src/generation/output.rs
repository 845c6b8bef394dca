//! Where a generation's text goes: to the caller as events, split into reasoning and answer
//! when the request asks for it and the model reasons, with the answer's tool calls parsed out
//! when the request offered tools.

use super::stream::GenerationEvent;
use crate::InferenceError;
use crate::text::reasoning::{Part, ReasoningSplitter};
use crate::text::tool_calls::{ToolCallParser, ToolPart};

/// Where a request's events go.
pub trait EventSink {
    /// Sends `event`; false when nobody listens any more.
    fn send(&mut self, event: GenerationEvent) -> bool;
    /// Whether nobody listens any more, known without sending.
    fn closed(&self) -> bool;
    /// Ends the stream with `error`.
    fn fail(&mut self, error: InferenceError);
}

pub(super) struct Output<E> {
    emit: E,
    splitter: Option<ReasoningSplitter>,
    tool_calls: Option<ToolCallParser>,
}

impl<E: EventSink> Output<E> {
    pub fn new(
        emit: E,
        splitter: Option<ReasoningSplitter>,
        tool_calls: Option<ToolCallParser>,
    ) -> Self {
        Self {
            emit,
            splitter,
            tool_calls,
        }
    }

    /// Sends `event`; false when nobody listens any more.
    pub fn event(&mut self, event: GenerationEvent) -> bool {
        self.emit.send(event)
    }

    pub fn closed(&self) -> bool {
        self.emit.closed()
    }

    pub fn fail(&mut self, error: InferenceError) {
        self.emit.fail(error)
    }

    /// The text `token` produced (one event per token, possibly an empty delta); `last` also
    /// releases what was held back, and sends nothing when there is nothing to send.
    pub fn text(&mut self, text: String, token_id: u32, last: bool) -> bool {
        let mut parts = match &mut self.splitter {
            Some(splitter) => splitter.push(&text),
            None => vec![Part::Answer(text)],
        };
        if last && let Some(splitter) = &mut self.splitter {
            parts.extend(splitter.finish());
        }
        let mut events = Vec::new();
        for part in parts {
            match part {
                Part::Reasoning(text) => events.push(GenerationEvent::Reasoning { text, token_id }),
                Part::Answer(text) => self.answer(&mut events, text, token_id),
            }
        }
        if last && let Some(parser) = &mut self.tool_calls {
            let rest = parser.finish();
            push_tool_parts(&mut events, rest, token_id);
        }
        events.retain(|event| {
            !matches!(event,
                GenerationEvent::Delta { text, .. } | GenerationEvent::Reasoning { text, .. }
                    if text.is_empty())
        });
        if events.is_empty() {
            // A token whose text is held back still counts as one step of the stream.
            return last
                || self.emit.send(GenerationEvent::Delta {
                    text: String::new(),
                    token_id,
                });
        }
        events.into_iter().all(|event| self.emit.send(event))
    }

    fn answer(&mut self, events: &mut Vec<GenerationEvent>, text: String, token_id: u32) {
        match &mut self.tool_calls {
            None => events.push(GenerationEvent::Delta { text, token_id }),
            Some(parser) => {
                let parts = parser.push(&text);
                push_tool_parts(events, parts, token_id);
            }
        }
    }
}

fn push_tool_parts(events: &mut Vec<GenerationEvent>, parts: Vec<ToolPart>, token_id: u32) {
    events.extend(parts.into_iter().map(|part| match part {
        ToolPart::Text(text) => GenerationEvent::Delta { text, token_id },
        ToolPart::Call(call) => GenerationEvent::ToolCall(call),
    }));
}
