//! A prompt as token ids: raw text tokenized as is, a conversation rendered by the model's chat
//! template first. Generation and token counting share it, so a count is what a generation
//! would see.

use std::path::Path;

use super::Prompt;
use crate::InferenceError;
use crate::text::Tokenizer;
use crate::text::chat_template::ChatTemplate;

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
