//! Generated tokens' log-probabilities in the OpenAI API's two shapes: chat's
//! `logprobs.content` (token, logprob, bytes, top_logprobs) and text completions' parallel
//! lists (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`).

use mlx_manager_inference::generation::TokenLogprob;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A token's text: its bytes, with a partial UTF-8 character shown as U+FFFD (`bytes` has it
/// exactly).
fn token_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A chat choice's `logprobs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatLogprobs {
    /// One entry per generated token, in order.
    pub content: Vec<TokenScore>,
    /// Always null.
    pub refusal: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenScore {
    pub token: String,
    /// The natural log of the token's probability (before temperature and filters).
    pub logprob: f32,
    /// The token's UTF-8 bytes (a token may hold part of a character).
    pub bytes: Vec<u8>,
    /// The `top_logprobs` most likely tokens at this position, most likely first.
    pub top_logprobs: Vec<Alternative>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Alternative {
    pub token: String,
    pub logprob: f32,
    pub bytes: Vec<u8>,
}

impl ChatLogprobs {
    pub fn of(scores: &[TokenLogprob]) -> Self {
        let content = scores
            .iter()
            .map(|score| TokenScore {
                token: token_text(&score.bytes),
                logprob: score.logprob,
                bytes: score.bytes.clone(),
                top_logprobs: score
                    .top
                    .iter()
                    .map(|top| Alternative {
                        token: token_text(&top.bytes),
                        logprob: top.logprob,
                        bytes: top.bytes.clone(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            content,
            refusal: None,
        }
    }
}

/// A text completion choice's `logprobs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextLogprobs {
    pub tokens: Vec<String>,
    pub token_logprobs: Vec<f32>,
    /// Per token, the most likely tokens at its position and their log-probabilities.
    #[schema(value_type = Vec<Object>)]
    pub top_logprobs: Vec<Map<String, Value>>,
    /// Where each token starts in the choice's text, in characters (after an echoed prompt).
    pub text_offset: Vec<usize>,
}

impl TextLogprobs {
    /// The lists for `scores`, the first token starting at character `offset`; returns the
    /// offset after the last token too.
    pub fn of(scores: &[TokenLogprob], mut offset: usize) -> (Self, usize) {
        let mut lists = Self {
            tokens: Vec::with_capacity(scores.len()),
            token_logprobs: Vec::with_capacity(scores.len()),
            top_logprobs: Vec::with_capacity(scores.len()),
            text_offset: Vec::with_capacity(scores.len()),
        };
        for score in scores {
            let token = token_text(&score.bytes);
            lists.text_offset.push(offset);
            offset += token.chars().count();
            lists.tokens.push(token);
            lists.token_logprobs.push(score.logprob);
            let top = score
                .top
                .iter()
                .map(|top| (token_text(&top.bytes), Value::from(top.logprob)))
                .collect();
            lists.top_logprobs.push(top);
        }
        (lists, offset)
    }
}

#[cfg(test)]
mod tests {
    use mlx_manager_inference::generation::Alternative as Scored;

    use super::*;

    fn score(bytes: &[u8], logprob: f32, top: &[(&[u8], f32)]) -> TokenLogprob {
        TokenLogprob {
            token_id: 0,
            bytes: bytes.to_vec(),
            logprob,
            top: top
                .iter()
                .map(|(bytes, logprob)| Scored {
                    token_id: 1,
                    bytes: bytes.to_vec(),
                    logprob: *logprob,
                })
                .collect(),
        }
    }

    #[test]
    fn chat_entries_keep_exact_bytes_of_partial_characters() {
        let scores = [
            score(b" Par", -0.5, &[(b" Par", -0.5), (b" Lon", -1.5)]),
            score(&[0xC3], -0.25, &[]),
        ];
        let json = serde_json::to_value(ChatLogprobs::of(&scores)).unwrap();
        assert_eq!(json["content"][0]["token"], " Par");
        assert_eq!(json["content"][0]["top_logprobs"][1]["token"], " Lon");
        assert_eq!(json["content"][1]["token"], "\u{FFFD}");
        assert_eq!(json["content"][1]["bytes"], serde_json::json!([0xC3]));
        assert_eq!(json["refusal"], Value::Null);
    }

    #[test]
    fn text_offsets_count_characters_from_the_given_start() {
        let scores = [
            score("é".as_bytes(), -1.0, &[("é".as_bytes(), -1.0)]),
            score(b"!", -2.0, &[]),
        ];
        let (lists, end) = TextLogprobs::of(&scores, 3);
        assert_eq!(lists.text_offset, [3, 4]);
        assert_eq!(end, 5);
        assert_eq!(lists.tokens, ["é", "!"]);
        assert_eq!(lists.top_logprobs[0]["é"], Value::from(-1.0f32));
    }
}
