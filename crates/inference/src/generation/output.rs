//! Where a generation's text goes: to the caller as events, split into reasoning and answer
//! when the request asks for it and the model reasons.

use super::stream::GenerationEvent;
use crate::text::reasoning::{Part, ReasoningSplitter};

pub(super) struct Output<E> {
    emit: E,
    splitter: Option<ReasoningSplitter>,
}

impl<E: FnMut(GenerationEvent) -> bool> Output<E> {
    pub fn new(emit: E, splitter: Option<ReasoningSplitter>) -> Self {
        Self { emit, splitter }
    }

    /// Sends `event`; false when nobody listens any more.
    pub fn event(&mut self, event: GenerationEvent) -> bool {
        (self.emit)(event)
    }

    /// The text `token` produced (one event per token, possibly empty); `last` also releases
    /// what the splitter held back, and sends nothing when there is nothing to send.
    pub fn text(&mut self, text: String, token_id: u32, last: bool) -> bool {
        let Some(splitter) = &mut self.splitter else {
            if last && text.is_empty() {
                return true;
            }
            return (self.emit)(GenerationEvent::Delta { text, token_id });
        };
        let mut parts = splitter.push(&text);
        if last {
            parts.extend(splitter.finish());
        }
        if parts.is_empty() && !last {
            return (self.emit)(GenerationEvent::Delta {
                text: String::new(),
                token_id,
            });
        }
        parts.into_iter().all(|part| {
            (self.emit)(match part {
                Part::Answer(text) => GenerationEvent::Delta { text, token_id },
                Part::Reasoning(text) => GenerationEvent::Reasoning { text, token_id },
            })
        })
    }
}
