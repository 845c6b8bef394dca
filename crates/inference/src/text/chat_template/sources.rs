//! Where a model's chat templates and special tokens come from: `chat_template.jinja` and
//! `chat_templates/*.jinja`, tokenizer_config.json, and a legacy special_tokens_map.json.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde_json::{Map, Value as Json};

use super::{DEFAULT, NAMED_SPECIAL_TOKENS};
use crate::InferenceError;

/// A file's text, or `None` when it does not exist.
pub(super) fn read_optional(path: &Path) -> Result<Option<String>, InferenceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(InferenceError::file(path, error)),
    }
}

/// Templates saved as files (transformers ≥ 4.50): `chat_template.jinja` is the default, and
/// `chat_templates/NAME.jinja` are named ones. They take priority over tokenizer_config.json.
pub(super) fn separate_templates(
    model_dir: &Path,
) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut templates = BTreeMap::new();
    if let Some(source) = read_optional(&model_dir.join("chat_template.jinja"))? {
        templates.insert(DEFAULT.to_owned(), source);
    }
    let dir = model_dir.join("chat_templates");
    if dir.is_dir() {
        let entries = std::fs::read_dir(&dir).map_err(|error| InferenceError::file(&dir, error))?;
        for entry in entries {
            let path = entry
                .map_err(|error| InferenceError::file(&dir, error))?
                .path();
            let name = path.file_name().and_then(|name| name.to_str());
            if let Some(name) = name.and_then(|name| name.strip_suffix(".jinja")) {
                let source = std::fs::read_to_string(&path)
                    .map_err(|error| InferenceError::file(&path, error))?;
                templates.insert(name.to_owned(), source);
            }
        }
    }
    Ok(templates)
}

/// `chat_template` of tokenizer_config.json: a string, or a list of `{name, template}`.
pub(super) fn config_templates(
    config_path: &Path,
    value: Option<&Json>,
) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut templates = BTreeMap::new();
    match value {
        None | Some(Json::Null) => {}
        Some(Json::String(source)) => {
            templates.insert(DEFAULT.to_owned(), source.clone());
        }
        Some(Json::Array(list)) => {
            for entry in list {
                let name = entry.get("name").and_then(Json::as_str);
                let source = entry.get("template").and_then(Json::as_str);
                let (Some(name), Some(source)) = (name, source) else {
                    return Err(InferenceError::file(
                        config_path,
                        "chat_template: each entry of the list needs a \"name\" and a \"template\"",
                    ));
                };
                templates.insert(name.to_owned(), source.to_owned());
            }
        }
        Some(_) => {
            return Err(InferenceError::file(
                config_path,
                "chat_template must be a string or a list of {name, template}",
            ));
        }
    }
    Ok(templates)
}

/// A special token's text: a string, or an AddedToken object `{"content": ...}`.
fn token_text(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Object(token) => token.get("content")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The special tokens transformers passes to templates: the named ones and the model-specific
/// `*_token` entries of tokenizer_config.json (and its `extra_special_tokens` map). Without an
/// `added_tokens_decoder` there, a legacy special_tokens_map.json overrides the named ones.
pub(super) fn special_tokens(
    model_dir: &Path,
    config: &Map<String, Json>,
) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut tokens: BTreeMap<String, String> = config
        .iter()
        .filter(|(name, _)| name.ends_with("_token"))
        .filter_map(|(name, value)| Some((name.clone(), token_text(value)?)))
        .collect();
    if let Some(Json::Object(extra)) = config.get("extra_special_tokens") {
        for (name, value) in extra {
            if let Some(text) = token_text(value) {
                tokens.insert(name.clone(), text);
            }
        }
    }
    if !config.contains_key("added_tokens_decoder") {
        let path = model_dir.join("special_tokens_map.json");
        if let Some(text) = read_optional(&path)? {
            let map: Map<String, Json> =
                serde_json::from_str(&text).map_err(|error| InferenceError::file(&path, error))?;
            for name in NAMED_SPECIAL_TOKENS {
                if let Some(text) = map.get(name).and_then(token_text) {
                    tokens.insert(name.to_owned(), text);
                }
            }
        }
    }
    Ok(tokens)
}
