//! Tool calls found in streamed text. Text outside calls passes on at once, except a tail that
//! could be the start of an opening tag (and whitespace before it), held until it is decided. A call is kept whole until
//! it ends (its closing tag, or the end of the answer) and only then parsed: a malformed call is
//! released as the text the model wrote, which a call already announced could not be.

use super::{ToolCall, ToolFormat, parse};

/// A piece of the answer: text, or a complete call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolPart {
    Text(String),
    Call(ToolCall),
}

#[derive(Debug)]
pub struct ToolCallParser {
    format: ToolFormat,
    /// Text not yet released, or (inside a call) the call's body so far.
    pending: String,
    in_call: bool,
    /// What opened the current call, given back with its body if the call is malformed.
    opened_with: String,
    /// Nothing but whitespace so far: Llama's bare JSON call may still begin.
    at_start: bool,
    /// Just after a call: whitespace between parallel calls belongs to no text.
    after_call: bool,
}

impl ToolFormat {
    fn opening_tag(self) -> &'static str {
        match self {
            Self::HermesJson => "<tool_call>",
            Self::Llama3Json => "<|python_tag|>",
            Self::Mistral => "[TOOL_CALLS]",
        }
    }

    /// `None`: a call runs to the end of the answer.
    fn closing_tag(self) -> Option<&'static str> {
        match self {
            Self::HermesJson => Some("</tool_call>"),
            Self::Llama3Json | Self::Mistral => None,
        }
    }
}

impl ToolCallParser {
    pub fn new(format: ToolFormat) -> Self {
        Self {
            format,
            pending: String::new(),
            in_call: false,
            opened_with: String::new(),
            at_start: true,
            after_call: false,
        }
    }

    /// The parts `delta` completes, in order.
    pub fn push(&mut self, delta: &str) -> Vec<ToolPart> {
        self.pending.push_str(delta);
        let mut parts = Vec::new();
        loop {
            if self.in_call {
                let Some(end) = self.format.closing_tag() else {
                    return parts;
                };
                let Some(at) = self.pending.find(end) else {
                    return parts;
                };
                let rest = self.pending.split_off(at + end.len());
                let mut body = std::mem::replace(&mut self.pending, rest);
                body.truncate(at);
                self.close_call(&mut parts, body, end);
                continue;
            }
            if self.format == ToolFormat::Llama3Json && self.at_start {
                let trimmed = self.pending.trim_start();
                if trimmed.is_empty() {
                    return parts;
                }
                self.at_start = false;
                if trimmed.starts_with('{') {
                    let body = trimmed.to_string();
                    self.pending.truncate(self.pending.len() - body.len());
                    self.opened_with = std::mem::replace(&mut self.pending, body);
                    self.in_call = true;
                    continue;
                }
            }
            let tag = self.format.opening_tag();
            if let Some(at) = self.pending.find(tag) {
                let body = self.pending.split_off(at + tag.len());
                let mut before = std::mem::replace(&mut self.pending, body);
                // The line break a model writes before its call belongs to no text.
                before.truncate(before[..at].trim_end().len());
                self.release(&mut parts, before);
                self.opened_with = tag.to_string();
                self.in_call = true;
                continue;
            }
            let held = (1..tag.len())
                .rev()
                .find(|&n| self.pending.ends_with(&tag[..n]))
                .unwrap_or(0);
            // Whitespace waits too: if a call follows, it is dropped with the tag.
            let kept_from = self.pending[..self.pending.len() - held].trim_end().len();
            let kept = self.pending.split_off(kept_from);
            let released = std::mem::replace(&mut self.pending, kept);
            self.release(&mut parts, released);
            return parts;
        }
    }

    /// What is left once the answer ends: an unclosed call is parsed as it stands (a model
    /// may end the turn without the closing tag), else given back as text.
    pub fn finish(&mut self) -> Vec<ToolPart> {
        let mut parts = Vec::new();
        let rest = std::mem::take(&mut self.pending);
        match self.in_call {
            true => self.close_call(&mut parts, rest, ""),
            false => self.release(&mut parts, rest),
        }
        parts
    }

    fn close_call(&mut self, parts: &mut Vec<ToolPart>, body: String, closed_with: &str) {
        self.in_call = false;
        let opened_with = std::mem::take(&mut self.opened_with);
        match parse::calls(self.format, &body) {
            Some(calls) => {
                parts.extend(calls.into_iter().map(|call| {
                    ToolPart::Call(ToolCall {
                        id: call.id.unwrap_or_else(|| self.format.new_call_id()),
                        name: call.name,
                        arguments: serde_json::Value::Object(call.arguments).to_string(),
                    })
                }));
                self.after_call = true;
            }
            None => {
                self.after_call = false;
                self.release(parts, opened_with + &body + closed_with);
            }
        }
    }

    fn release(&mut self, parts: &mut Vec<ToolPart>, text: String) {
        let text = match self.after_call {
            true => {
                let trimmed = text.trim_start();
                if trimmed.is_empty() {
                    return;
                }
                self.after_call = false;
                trimmed.to_string()
            }
            false => text,
        };
        if text.is_empty() {
            return;
        }
        if !text.trim().is_empty() {
            self.at_start = false;
        }
        match parts.last_mut() {
            Some(ToolPart::Text(last)) => last.push_str(&text),
            _ => parts.push(ToolPart::Text(text)),
        }
    }
}
