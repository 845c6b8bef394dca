//! A prompt as token ids: raw text tokenized as is, a conversation rendered by the model's chat
//! template first. Generation and token counting share it, so a count is what a generation
//! would see.

use std::path::Path;

use super::Prompt;
use super::prompt_cache::SegmentKind;
use crate::InferenceError;
use crate::text::Tokenizer;
use crate::text::chat_template::{ChatMessage, ChatTemplate, RenderOptions};

pub(crate) fn encode_prompt(
    tokenizer: &Tokenizer,
    template: Option<&ChatTemplate>,
    prompt: &Prompt,
) -> Result<Vec<u32>, InferenceError> {
    match prompt {
        Prompt::Tokens(ids) => Ok(ids.clone()),
        Prompt::Text(text) => tokenizer.encode(text, true),
        Prompt::Chat { messages, options } => {
            let template = template.ok_or_else(|| {
                InferenceError::Tokenizer(
                    "this model has no chat template; send a plain prompt".into(),
                )
            })?;
            let rendered = template.render(messages, options)?;
            // The template already wrote any BOS; adding special tokens would double it.
            tokenizer.encode(&rendered, false)
        }
    }
}

/// How many tokens `prompt` makes with the tokenizer and chat template of the model in `dir`,
/// without loading its weights. Blocking (it reads the tokenizer's files).
pub fn count_prompt_tokens(dir: &Path, prompt: &Prompt) -> Result<usize, InferenceError> {
    let tokenizer = Tokenizer::load(dir)?;
    let template = ChatTemplate::load(dir)?;
    Ok(encode_prompt(&tokenizer, template.as_ref(), prompt)?.len())
}

/// Where a chat prompt's reusable segments end, as token counts into `ids` (its encoding):
/// after the system message, and after the conversation before its last message — the points a
/// follow-up turn or another chat with the same system prompt starts from. Each is found by
/// rendering that part alone; a part whose tokens are not a prefix of `ids` (a template that
/// renders earlier turns differently once more follow) gives no boundary. Sorted, each shorter
/// than `ids`.
pub(crate) fn segment_ends(
    tokenizer: &Tokenizer,
    template: Option<&ChatTemplate>,
    prompt: &Prompt,
    ids: &[u32],
) -> Vec<(usize, SegmentKind)> {
    let (Prompt::Chat { messages, options }, Some(template)) = (prompt, template) else {
        return Vec::new();
    };
    let options = RenderOptions {
        add_generation_prompt: false,
        ..options.clone()
    };
    let end_of = |part: &[ChatMessage]| -> Option<usize> {
        let rendered = template.render(part, &options).ok()?;
        let tokens = tokenizer.encode(&rendered, false).ok()?;
        (!tokens.is_empty() && tokens.len() < ids.len() && ids.starts_with(&tokens))
            .then_some(tokens.len())
    };
    let mut ends = Vec::new();
    if messages.first().is_some_and(|m| m.role == "system")
        && let Some(end) = end_of(&messages[..1])
    {
        ends.push((end, SegmentKind::System));
    }
    if messages.len() >= 2
        && let Some(end) = end_of(&messages[..messages.len() - 1])
        && ends.last().is_none_or(|&(last, _)| end > last)
    {
        ends.push((end, SegmentKind::Conversation));
    }
    ends
}
