//! Reasoning ("thinking") in a model's output: `<think>…</think>`, as Qwen3 and the DeepSeek-R1
//! distills write it, split from the answer as it streams. A tag may arrive split across
//! deltas, so a tail that could be the start of one is held back until it is decided.

use super::Tokenizer;

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// The tags of a model that reasons, with their token ids (both must be single tokens of its
/// vocabulary, as in every model family that uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasoningTags {
    pub open_id: u32,
    pub close_id: u32,
}

impl ReasoningTags {
    /// The tags, when the tokenizer has both as tokens.
    pub fn of(tokenizer: &Tokenizer) -> Option<Self> {
        Some(Self {
            open_id: tokenizer.token_id(OPEN)?,
            close_id: tokenizer.token_id(CLOSE)?,
        })
    }

    /// Whether the prompt leaves the model inside a reasoning block (the template opened
    /// `<think>` and did not close it), so its output starts as reasoning.
    pub fn opened_by(&self, prompt: &[u32]) -> bool {
        let last = |id: u32| prompt.iter().rposition(|&t| t == id);
        match (last(self.open_id), last(self.close_id)) {
            (Some(open), Some(close)) => open > close,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// A piece of output: reasoning or answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Reasoning(String),
    Answer(String),
}

/// Splits streamed text into reasoning and answer; the tags themselves are dropped.
#[derive(Debug)]
pub struct ReasoningSplitter {
    reasoning: bool,
    pending: String,
    /// Just after `</think>`: the newlines templates put there belong to neither part.
    after_close: bool,
}

impl ReasoningSplitter {
    pub fn new(starts_in_reasoning: bool) -> Self {
        Self {
            reasoning: starts_in_reasoning,
            pending: String::new(),
            after_close: false,
        }
    }

    /// The parts `delta` completes, in order (consecutive text of one kind in one part).
    pub fn push(&mut self, delta: &str) -> Vec<Part> {
        self.pending.push_str(delta);
        let mut parts = Vec::new();
        loop {
            let tag = if self.reasoning { CLOSE } else { OPEN };
            if let Some(at) = self.pending.find(tag) {
                let before: String = self.pending[..at].to_string();
                self.pending.drain(..at + tag.len());
                self.release(&mut parts, before);
                self.reasoning = !self.reasoning;
                self.after_close = !self.reasoning;
                continue;
            }
            let held = (1..tag.len())
                .rev()
                .find(|&n| self.pending.ends_with(&tag[..n]))
                .unwrap_or(0);
            let cut = self.pending.len() - held;
            let released: String = self.pending.drain(..cut).collect();
            self.release(&mut parts, released);
            return parts;
        }
    }

    /// What was held back, once the output ends.
    pub fn finish(&mut self) -> Vec<Part> {
        let mut parts = Vec::new();
        let rest = std::mem::take(&mut self.pending);
        self.release(&mut parts, rest);
        parts
    }

    fn release(&mut self, parts: &mut Vec<Part>, mut text: String) {
        if !self.reasoning && self.after_close {
            text = text.trim_start_matches('\n').to_string();
            self.after_close = text.is_empty();
        }
        if text.is_empty() {
            return;
        }
        let part = match self.reasoning {
            true => Part::Reasoning(text),
            false => Part::Answer(text),
        };
        match (parts.last_mut(), &part) {
            (Some(Part::Reasoning(last)), Part::Reasoning(more))
            | (Some(Part::Answer(last)), Part::Answer(more)) => last.push_str(more),
            _ => parts.push(part),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(starts_in_reasoning: bool, deltas: &[&str]) -> (String, String) {
        let mut splitter = ReasoningSplitter::new(starts_in_reasoning);
        let (mut reasoning, mut answer) = (String::new(), String::new());
        let mut parts: Vec<Part> = deltas.iter().flat_map(|d| splitter.push(d)).collect();
        parts.extend(splitter.finish());
        for part in parts {
            match part {
                Part::Reasoning(text) => reasoning.push_str(&text),
                Part::Answer(text) => answer.push_str(&text),
            }
        }
        (reasoning, answer)
    }

    #[test]
    fn qwen3_output_splits_into_reasoning_and_answer() {
        let (reasoning, answer) = split(
            false,
            &[
                "<think>\nThe user",
                " asks.\n</think>\n\nParis is",
                " the capital.",
            ],
        );
        assert_eq!(reasoning, "\nThe user asks.\n");
        assert_eq!(answer, "Paris is the capital.");
    }

    #[test]
    fn tags_split_across_deltas_are_never_shown() {
        let (reasoning, answer) = split(false, &["<th", "ink>hm</", "thi", "nk>ok"]);
        assert_eq!((reasoning.as_str(), answer.as_str()), ("hm", "ok"));
    }

    #[test]
    fn a_prompt_that_opened_the_block_starts_in_reasoning() {
        // DeepSeek-R1 distills' templates end the prompt with "<think>\n".
        let (reasoning, answer) = split(true, &["Let me think", "</think>\n\n42"]);
        assert_eq!(
            (reasoning.as_str(), answer.as_str()),
            ("Let me think", "42")
        );
        let tags = ReasoningTags {
            open_id: 7,
            close_id: 8,
        };
        assert!(tags.opened_by(&[1, 7, 3]));
        assert!(
            !tags.opened_by(&[1, 7, 3, 8, 4]),
            "Qwen3 with thinking off closes it"
        );
        assert!(!tags.opened_by(&[1, 2]));
    }

    #[test]
    fn text_that_only_looked_like_a_tag_is_released_and_an_unclosed_block_is_reasoning() {
        assert_eq!(
            split(false, &["a <th", "e end"]),
            (String::new(), "a <the end".into())
        );
        assert_eq!(
            split(false, &["<think>never closed"]),
            ("never closed".into(), String::new())
        );
    }
}
