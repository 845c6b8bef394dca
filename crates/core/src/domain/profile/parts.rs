//! The parts of a profile, each valid by construction: its name, texts, generation defaults,
//! context length, template options and keep-alive.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::InvalidField;

/// The largest token count a profile may name (context length, `max_tokens`, `top_k`): 2^24, a
/// sanity bound above every model's context today.
pub const MAX_TOKEN_COUNT: u32 = 1 << 24;
/// The largest seed: 2^53 − 1, so that JavaScript clients read it exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;
/// Keep-alive beyond a year is `-1` (keep loaded).
pub const MAX_KEEP_ALIVE_SECS: i64 = 365 * 24 * 3600;
pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 100_000;
pub const MAX_STOP_SEQUENCES: usize = 16;
pub const MAX_STOP_CHARS: usize = 256;
pub const MAX_TEMPLATE_OPTIONS: usize = 64;
/// Template options, serialised as JSON, at most this many bytes.
pub const MAX_TEMPLATE_OPTIONS_BYTES: usize = 16 * 1024;

/// A profile's name, which `/v1` clients send as their `model`: 1–64 characters among ASCII
/// letters, digits, `.`, `_`, `-` and `:` — never `/`, so it cannot be mistaken for a repository
/// id. Names are unique regardless of case (`Qwen-fast` and `qwen-fast` are one name); the
/// name keeps the case it was given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let invalid = |message: &str| InvalidField::new("name", format!("{raw:?} {message}"));
        let count = raw.chars().count();
        if count == 0 {
            return Err(InvalidField::new("name", "is empty"));
        }
        if count > MAX_NAME_CHARS {
            return Err(InvalidField::new(
                "name",
                format!("is longer than {MAX_NAME_CHARS} characters"),
            ));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
        {
            return Err(invalid(&format!(
                "contains {c:?}; a name may contain only letters, digits, '.', '_', '-' and ':'"
            )));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness is decided on: the name in ASCII lower case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text of a bounded number of characters (Unicode scalar values, as JSON Schema counts them).
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: String) -> Result<Self, InvalidField> {
                if raw.chars().count() > $max {
                    return Err(InvalidField::new(
                        $field,
                        format!("is longer than {} characters", $max),
                    ));
                }
                Ok(Self(raw))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// What the profile is for: at most 500 characters.
    Description,
    "description",
    MAX_DESCRIPTION_CHARS
);
bounded_text!(
    /// The system message put before every conversation: at most 100,000 characters.
    SystemPrompt,
    "system_prompt",
    MAX_SYSTEM_PROMPT_CHARS
);

/// A finite number within a range.
macro_rules! bounded_float {
    ($(#[$doc:meta])* $name:ident, $field:literal, $valid:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
        pub struct $name(f64);

        impl $name {
            pub fn new(value: f64) -> Result<Self, InvalidField> {
                let valid: fn(f64) -> bool = $valid;
                if value.is_finite() && valid(value) {
                    Ok(Self(value))
                } else {
                    Err(InvalidField::new($field, format!("{value} is not {}", $rule)))
                }
            }

            pub fn get(self) -> f64 {
                self.0
            }
        }
    };
}

bounded_float!(
    /// Sampling temperature, 0–2 (0 = greedy).
    Temperature,
    "temperature",
    |v| (0.0..=2.0).contains(&v),
    "between 0 and 2"
);
bounded_float!(
    /// Nucleus sampling: the smallest set of tokens whose probability reaches this, in (0, 1].
    TopP,
    "top_p",
    |v| v > 0.0 && v <= 1.0,
    "above 0 and at most 1"
);
bounded_float!(
    /// Tokens less likely than this fraction of the most likely one are dropped, 0–1.
    MinP,
    "min_p",
    |v| (0.0..=1.0).contains(&v),
    "between 0 and 1"
);
bounded_float!(
    /// Penalty on tokens already in the context, above 0 (1 = none).
    RepetitionPenalty,
    "repetition_penalty",
    |v| v > 0.0,
    "above 0"
);

/// A count of tokens, 1 to [`MAX_TOKEN_COUNT`].
macro_rules! token_count {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            pub fn new(value: i64) -> Result<Self, InvalidField> {
                match u32::try_from(value) {
                    Ok(count) if (1..=MAX_TOKEN_COUNT).contains(&count) => Ok(Self(count)),
                    _ => Err(InvalidField::new(
                        $field,
                        format!("{value} is not between 1 and {MAX_TOKEN_COUNT}"),
                    )),
                }
            }

            pub fn get(self) -> u32 {
                self.0
            }
        }
    };
}

token_count!(
    /// Sample among the this many most likely tokens only. There is no 0: leaving it out
    /// (null) is what turns top-k off.
    TopK,
    "top_k"
);
token_count!(
    /// The most tokens one answer may generate.
    MaxTokens,
    "max_tokens"
);
token_count!(
    /// The context (prompt and answer) the profile serves; at most the model's own, which is
    /// checked where the model's `config.json` is at hand.
    ContextLength,
    "context_length"
);

/// The sampling seed, 0 to 2^53 − 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seed(u64);

impl Seed {
    pub fn new(value: i64) -> Result<Self, InvalidField> {
        match u64::try_from(value) {
            Ok(seed) if seed <= MAX_SEED => Ok(Self(seed)),
            _ => Err(InvalidField::new(
                "seed",
                format!("{value} is not between 0 and {MAX_SEED}"),
            )),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// Strings that end an answer when generated: at most 16, each 1–256 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopSequences(Vec<String>);

impl StopSequences {
    pub fn parse(raw: Vec<String>) -> Result<Self, InvalidField> {
        if raw.len() > MAX_STOP_SEQUENCES {
            return Err(InvalidField::new(
                "stop",
                format!("has {} strings; at most {MAX_STOP_SEQUENCES}", raw.len()),
            ));
        }
        for (i, stop) in raw.iter().enumerate() {
            let count = stop.chars().count();
            if count == 0 {
                return Err(InvalidField::new("stop", format!("string {i} is empty")));
            }
            if count > MAX_STOP_CHARS {
                return Err(InvalidField::new(
                    "stop",
                    format!("string {i} is longer than {MAX_STOP_CHARS} characters"),
                ));
            }
        }
        Ok(Self(raw))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Extra variables handed to the model's chat template (e.g. `{"enable_thinking": false}`): a
/// JSON object of at most 64 keys and 16 KiB.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateOptions(Map<String, Value>);

impl TemplateOptions {
    pub fn parse(raw: Map<String, Value>) -> Result<Self, InvalidField> {
        if raw.len() > MAX_TEMPLATE_OPTIONS {
            return Err(InvalidField::new(
                "template_options",
                format!("has {} keys; at most {MAX_TEMPLATE_OPTIONS}", raw.len()),
            ));
        }
        let bytes = serde_json::to_string(&raw).map_or(usize::MAX, |json| json.len());
        if bytes > MAX_TEMPLATE_OPTIONS_BYTES {
            return Err(InvalidField::new(
                "template_options",
                format!("is larger than {MAX_TEMPLATE_OPTIONS_BYTES} bytes as JSON"),
            ));
        }
        Ok(Self(raw))
    }

    /// Reads the stored form back (`None` if it is not a JSON object within the limits).
    pub fn from_json(json: &str) -> Option<Self> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Self::parse(map).ok(),
            _ => None,
        }
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }
}

/// How long a model stays loaded after its last request (Ollama's semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeepAlive {
    /// `-1`: stays loaded until stopped or evicted.
    Forever,
    /// `0`: unloaded right after each answer.
    UnloadAtOnce,
    /// `1..=31536000` seconds.
    For(Duration),
}

impl KeepAlive {
    pub fn from_secs(secs: i64) -> Result<Self, InvalidField> {
        match secs {
            -1 => Ok(Self::Forever),
            0 => Ok(Self::UnloadAtOnce),
            1..=MAX_KEEP_ALIVE_SECS => Ok(Self::For(Duration::from_secs(secs as u64))),
            _ => Err(InvalidField::new(
                "keep_alive_secs",
                format!(
                    "{secs} is not -1 (keep loaded), 0 (unload at once) or 1 to \
                     {MAX_KEEP_ALIVE_SECS} seconds"
                ),
            )),
        }
    }

    pub fn as_secs(self) -> i64 {
        match self {
            Self::Forever => -1,
            Self::UnloadAtOnce => 0,
            Self::For(duration) => duration.as_secs() as i64,
        }
    }
}
