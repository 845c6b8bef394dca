//! Lenient deserializers for values that arrive as environment-variable strings.

use serde::{Deserialize, Deserializer, de::Error};

/// Accepts `true/false`, `1/0`, `yes/no`, `on/off` (as `huggingface_hub` does for `HF_HUB_OFFLINE`).
pub fn flexible_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Int(i64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Bool(b) => Ok(b),
        Raw::Int(1) => Ok(true),
        Raw::Int(0) => Ok(false),
        Raw::Int(other) => Err(D::Error::custom(format!(
            "expected a boolean (true/false, 1/0), found {other}"
        ))),
        Raw::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err(D::Error::custom(format!(
                "expected a boolean (true/false, 1/0), found {text:?}"
            ))),
        },
    }
}

/// Accepts a list or a comma-separated string.
pub fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Raw::deserialize(deserializer)? {
        Raw::List(items) => items,
        Raw::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}
