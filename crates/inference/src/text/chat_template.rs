//! Chat templates: the Jinja templates that Hugging Face tokenizers carry, rendered so that the
//! text equals Python transformers' `tokenizer.apply_chat_template(messages, tokenize=False)`.
//!
//! The environment copies transformers' `_compile_jinja_template`: `trim_blocks` and
//! `lstrip_blocks` on, no trailing newline kept, loop controls, the globals `raise_exception` and
//! `strftime_now`, and its own `tojson` filter (`json.dumps` with `ensure_ascii=False`, key order
//! kept). Python's string and dict methods (`.strip()`, `.startswith()`, `.items()`, `.get()`, …)
//! come from minijinja-contrib's pycompat, and values print as Python's `str()` does (`None`,
//! `True`, `['a']`). The template sees `messages`, `add_generation_prompt`, `tools` and
//! `documents` (none unless given, as in transformers), the tokenizer's special tokens
//! (`bos_token`, `eos_token`, …) and the caller's extra variables, which may override those.

mod message;
mod python;
mod sources;
mod strftime;

pub use message::{CalledFunction, ChatMessage, MessageToolCall};

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use serde_json::{Map, Value as Json};

use crate::InferenceError;
use crate::text::tool_calls::ToolFormat;
use sources::{config_templates, read_optional, separate_templates, special_tokens};

/// The template used unless a more specific one applies.
const DEFAULT: &str = "default";
/// The template transformers prefers when tools are given (from a model's named templates).
const TOOL_USE: &str = "tool_use";
/// The special tokens every tokenizer may name (transformers' `SPECIAL_TOKENS_ATTRIBUTES`).
const NAMED_SPECIAL_TOKENS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];
/// Variables that `render` sets itself; extra variables may not replace them (in Python, passing
/// them twice is a TypeError).
const RESERVED: [&str; 4] = ["messages", "tools", "documents", "add_generation_prompt"];

/// What a render passes to the template besides the messages.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// End with the header of an assistant turn, for the model to write it.
    pub add_generation_prompt: bool,
    /// A JSON list of tool schemas, seen by the template as `tools`.
    pub tools: Option<Json>,
    /// Extra template variables (e.g. `enable_thinking`); they may override special tokens.
    pub extra: Map<String, Json>,
}

/// A model's compiled chat template(s) with the tokenizer's special tokens.
pub struct ChatTemplate {
    env: Environment<'static>,
    has_tool_use: bool,
    supports_tools: bool,
    /// How the model writes tool calls, when it does in a format this engine parses.
    tool_format: Option<ToolFormat>,
    /// The special tokens the template sees: `bos_token`, `eos_token` and the others the
    /// tokenizer names.
    special_tokens: BTreeMap<String, String>,
}

impl fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("has_tool_use", &self.has_tool_use)
            .field("supports_tools", &self.supports_tools)
            .field("tool_format", &self.tool_format)
            .field("special_tokens", &self.special_tokens)
            .finish_non_exhaustive()
    }
}

impl ChatTemplate {
    /// From a model directory, as transformers loads it: a `chat_template.jinja` file (and named
    /// templates in `chat_templates/*.jinja`) if present, else `chat_template` in
    /// tokenizer_config.json (a string, or a list of `{name, template}` of which "default" is
    /// used, and "tool_use" when tools are given). Special tokens come from
    /// tokenizer_config.json (strings or AddedToken objects `{"content": ...}`), or from a
    /// legacy special_tokens_map.json. `Ok(None)` when the model has no template.
    pub fn load(model_dir: &Path) -> Result<Option<Self>, InferenceError> {
        let config_path = model_dir.join("tokenizer_config.json");
        let config = match read_optional(&config_path)? {
            Some(text) => match serde_json::from_str::<Json>(&text) {
                Ok(Json::Object(config)) => config,
                Ok(_) => return Err(InferenceError::file(&config_path, "not a JSON object")),
                Err(error) => return Err(InferenceError::file(&config_path, error)),
            },
            None => Map::new(),
        };

        let mut templates = separate_templates(model_dir)?;
        if templates.is_empty() {
            templates = config_templates(&config_path, config.get("chat_template"))?;
        }
        if templates.is_empty() {
            return Ok(None);
        }
        if !templates.contains_key(DEFAULT) {
            let names: Vec<&String> = templates.keys().collect();
            return Err(InferenceError::file(
                model_dir,
                format!(
                    "the model has several chat templates ({names:?}) but none named \"default\""
                ),
            ));
        }

        let special_tokens = special_tokens(model_dir, &config)?;
        let tool_parser_type = config.get("tool_parser_type").and_then(Json::as_str);
        Self::build(templates, special_tokens, tool_parser_type).map(Some)
    }

    /// From a template's source and the tokenizer's BOS and EOS tokens.
    pub fn from_source(
        source: &str,
        bos_token: Option<String>,
        eos_token: Option<String>,
    ) -> Result<Self, InferenceError> {
        let templates = BTreeMap::from([(DEFAULT.to_owned(), source.to_owned())]);
        let special_tokens = [("bos_token", bos_token), ("eos_token", eos_token)]
            .into_iter()
            .filter_map(|(name, token)| Some((name.to_owned(), token?)))
            .collect();
        Self::build(templates, special_tokens, None)
    }

    /// The conversation as the template writes it. Errors when the conversation is empty, when
    /// `tools` is not a list of objects, when an extra variable would replace `messages`,
    /// `tools`, `documents` or `add_generation_prompt`, and when the template fails (its
    /// `raise_exception(message)` gives [`InferenceError::ChatTemplate`] with that message).
    pub fn render(
        &self,
        messages: &[ChatMessage],
        options: &RenderOptions,
    ) -> Result<String, InferenceError> {
        if messages.is_empty() {
            return Err(InferenceError::ChatTemplate(
                "cannot apply a chat template to an empty conversation".to_owned(),
            ));
        }
        let tools = match &options.tools {
            None | Some(Json::Null) => None,
            Some(Json::Array(tools)) => {
                if let Some(bad) = tools.iter().find(|tool| !tool.is_object()) {
                    return Err(InferenceError::ChatTemplate(format!(
                        "each tool must be a JSON schema object, got {bad}"
                    )));
                }
                Some(Value::from_serialize(tools))
            }
            Some(other) => {
                return Err(InferenceError::ChatTemplate(format!(
                    "tools must be a JSON list of tool schemas, got {other}"
                )));
            }
        };

        let mut context: BTreeMap<String, Value> = self
            .special_tokens
            .iter()
            .map(|(name, token)| (name.clone(), Value::from(token.as_str())))
            .collect();
        for (name, value) in &options.extra {
            if RESERVED.contains(&name.as_str()) {
                return Err(InferenceError::ChatTemplate(format!(
                    "the extra variable {name:?} would replace one that rendering sets"
                )));
            }
            context.insert(name.clone(), Value::from_serialize(value));
        }
        let name = if tools.is_some() && self.has_tool_use {
            TOOL_USE
        } else {
            DEFAULT
        };
        context.insert("messages".into(), Value::from_serialize(messages));
        context.insert("tools".into(), tools.unwrap_or_else(|| Value::from(())));
        context.insert("documents".into(), Value::from(()));
        context.insert(
            "add_generation_prompt".into(),
            Value::from(options.add_generation_prompt),
        );

        let template = self.env.get_template(name).map_err(render_error)?;
        template
            .render(Value::from_iter(context))
            .map_err(render_error)
    }

    /// Whether the template refers to tools (reads the `tools` variable), or the model has a
    /// separate "tool_use" template.
    pub fn supports_tools(&self) -> bool {
        self.supports_tools
    }

    /// How the model writes tool calls (see [`ToolFormat::detect`]).
    pub fn tool_format(&self) -> Option<ToolFormat> {
        self.tool_format
    }

    /// The tokenizer's beginning-of-sequence token, if it names one.
    pub fn bos_token(&self) -> Option<&str> {
        self.special_tokens.get("bos_token").map(String::as_str)
    }

    /// The tokenizer's end-of-sequence token, if it names one.
    pub fn eos_token(&self) -> Option<&str> {
        self.special_tokens.get("eos_token").map(String::as_str)
    }

    fn build(
        templates: BTreeMap<String, String>,
        special_tokens: BTreeMap<String, String>,
        tool_parser_type: Option<&str>,
    ) -> Result<Self, InferenceError> {
        let sources: Vec<&str> = templates.values().map(String::as_str).collect();
        let tool_format = ToolFormat::detect(tool_parser_type, &sources);
        let mut env = environment();
        let mut supports_tools = false;
        for (name, source) in &templates {
            env.add_template_owned(name.clone(), rewrite_generation_tags(source))
                .map_err(|error| {
                    InferenceError::ChatTemplate(format!("template {name:?} is invalid: {error}"))
                })?;
            let template = env.get_template(name).map_err(render_error)?;
            supports_tools |= template.undeclared_variables(false).contains("tools");
        }
        let has_tool_use = templates.contains_key(TOOL_USE);
        Ok(Self {
            env,
            has_tool_use,
            supports_tools: supports_tools || has_tool_use,
            tool_format,
            special_tokens,
        })
    }
}

/// A Jinja environment configured as transformers' (see the module documentation).
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(false);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(|out, _state, value| {
        let written = match value.as_str() {
            Some(text) if value.kind() == minijinja::value::ValueKind::String => {
                out.write_str(text)
            }
            _ => out.write_str(&python::py_str(value)),
        };
        written.map_err(|_| Error::from(ErrorKind::WriteFailure))
    });
    env.add_filter("tojson", python::tojson);
    env.add_filter("string", |value: &Value| python::py_str(value));
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", |format: &str| {
        strftime::strftime_now(format)
            .map_err(|message| Error::new(ErrorKind::InvalidOperation, message))
    });
    env
}

/// What `raise_exception(message)` raised, kept as the error's source so that the message comes
/// back as it was.
#[derive(Debug)]
struct Raised(String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

fn raise_exception(message: Value) -> Result<Value, Error> {
    let message = python::py_str(&message);
    Err(Error::new(ErrorKind::InvalidOperation, message.clone()).with_source(Raised(message)))
}

/// A template error as an [`InferenceError`]: the message of `raise_exception`, or minijinja's
/// description with the template line.
fn render_error(error: Error) -> InferenceError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = cause {
        if let Some(Raised(message)) = current.downcast_ref::<Raised>() {
            return InferenceError::ChatTemplate(message.clone());
        }
        cause = current.source();
    }
    InferenceError::ChatTemplate(format!("rendering failed: {error}"))
}

/// transformers' `{% generation %}…{% endgeneration %}` marks the assistant's text for
/// assistant masks and renders its body unchanged; minijinja does not know the tag, so it
/// becomes an always-true `if`, keeping its whitespace control.
fn rewrite_generation_tags(source: &str) -> String {
    if !source.contains("generation") {
        return source.to_owned();
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        out.push_str("{%");
        let tag = &rest[start + 2..];
        let (modifier, body) = match tag.as_bytes().first() {
            Some(b'-' | b'+') => tag.split_at(1),
            _ => ("", tag),
        };
        let body = body.trim_start();
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let replacement = match &body[..end] {
            "generation" => Some("if true"),
            "endgeneration" => Some("endif"),
            _ => None,
        };
        match replacement {
            Some(replacement) => {
                out.push_str(modifier);
                out.push(' ');
                out.push_str(replacement);
                rest = &body[end..];
            }
            None => rest = tag,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
