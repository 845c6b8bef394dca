//! Conversations of the web UI's chat: their titles and messages, valid by construction. A chat
//! belongs to one user; nobody else (not even an admin) can see it.

use serde_json::{Map, Value};

use crate::InvalidField;

pub const MAX_TITLE_CHARS: usize = 200;
/// A profile's name or a repository id, as `/v1` clients send it.
pub const MAX_MODEL_CHARS: usize = 200;
/// The text of one message (content or reasoning), in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Messages one request may add.
pub const MAX_MESSAGES_PER_APPEND: usize = 100;
/// Messages one chat may hold.
pub const MAX_MESSAGES_PER_CHAT: usize = 10_000;
/// A message's tool calls or statistics, as JSON, in bytes.
pub const MAX_EXTRA_BYTES: usize = 64 * 1024;

/// 1–200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTitle(String);

impl ChatTitle {
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(InvalidField::new("title", "is empty"));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(InvalidField::new(
                "title",
                format!("is longer than {MAX_TITLE_CHARS} characters"),
            ));
        }
        if title.chars().any(char::is_control) {
            return Err(InvalidField::new("title", "contains control characters"));
        }
        Ok(Self(title.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The model a chat last used: 1–200 characters, no whitespace (a profile name or `org/name`).
pub fn parse_chat_model(raw: &str) -> Result<String, InvalidField> {
    if raw.is_empty() || raw.chars().count() > MAX_MODEL_CHARS {
        return Err(InvalidField::new(
            "model",
            format!("must be 1 to {MAX_MODEL_CHARS} characters"),
        ));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidField::new("model", "contains whitespace"));
    }
    Ok(raw.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    System,
    User,
    Assistant,
    Tool,
}

impl ChatRole {
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        match raw {
            "system" => Ok(Self::System),
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            "tool" => Ok(Self::Tool),
            other => Err(InvalidField::new(
                "messages",
                format!("role must be system, user, assistant or tool, got {other:?}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }
}

/// A message as a user sends it, unchecked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatMessageDraft {
    pub role: String,
    pub content: String,
    pub reasoning: Option<String>,
    pub tool_calls: Option<Vec<Value>>,
    pub stats: Option<Map<String, Value>>,
}

/// A checked message, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChatMessage {
    pub role: ChatRole,
    pub content: String,
    pub reasoning: Option<String>,
    pub tool_calls: Option<Vec<Value>>,
    pub stats: Option<Map<String, Value>>,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: i32,
    /// 0 for the first message of the chat.
    pub position: usize,
    pub message: NewChatMessage,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A stored chat (its messages are fetched on their own).
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    pub id: i32,
    pub user_id: i32,
    pub title: ChatTitle,
    pub model: Option<String>,
    pub message_count: usize,
    pub created_at: i64,
    pub updated_at: i64,
}

fn json_size(value: &impl serde::Serialize) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len())
}

impl NewChatMessage {
    /// Checks the drafts of one request; every problem is reported, each naming its message.
    pub fn parse_all(drafts: Vec<ChatMessageDraft>) -> Result<Vec<Self>, Vec<InvalidField>> {
        let mut errors = Vec::new();
        if drafts.is_empty() {
            errors.push(InvalidField::new(
                "messages",
                "must hold at least one message",
            ));
        }
        if drafts.len() > MAX_MESSAGES_PER_APPEND {
            errors.push(InvalidField::new(
                "messages",
                format!("may hold at most {MAX_MESSAGES_PER_APPEND} messages"),
            ));
        }
        let mut messages = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.into_iter().enumerate() {
            let mut refuse = |message: String| {
                errors.push(InvalidField::new(
                    "messages",
                    format!("message {index}: {message}"),
                ))
            };
            let role = ChatRole::parse(&draft.role)
                .map_err(|e| refuse(e.message))
                .ok();
            for (what, text) in [
                ("content", Some(&draft.content)),
                ("reasoning", draft.reasoning.as_ref()),
            ] {
                if text.is_some_and(|t| t.len() > MAX_MESSAGE_BYTES) {
                    refuse(format!("{what} is longer than {MAX_MESSAGE_BYTES} bytes"));
                }
            }
            if draft
                .tool_calls
                .as_ref()
                .is_some_and(|c| json_size(c) > MAX_EXTRA_BYTES)
                || draft
                    .stats
                    .as_ref()
                    .is_some_and(|s| json_size(s) > MAX_EXTRA_BYTES)
            {
                refuse(format!(
                    "tool_calls and stats may hold at most {MAX_EXTRA_BYTES} bytes each"
                ));
            }
            if let Some(role) = role {
                messages.push(Self {
                    role,
                    content: draft.content,
                    reasoning: draft.reasoning.filter(|r| !r.is_empty()),
                    tool_calls: draft.tool_calls.filter(|c| !c.is_empty()),
                    stats: draft.stats,
                });
            }
        }
        if errors.is_empty() {
            Ok(messages)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(
            ChatTitle::parse("  Trip plans \n").unwrap().as_str(),
            "Trip plans"
        );
        assert!(ChatTitle::parse("   ").is_err());
        assert!(ChatTitle::parse(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert!(ChatTitle::parse(&"é".repeat(MAX_TITLE_CHARS)).is_ok());
        assert!(ChatTitle::parse("a\u{7}b").is_err());
    }

    #[test]
    fn every_bad_message_is_named_by_its_index() {
        let drafts = vec![
            ChatMessageDraft {
                role: "user".into(),
                content: "Hi".into(),
                ..Default::default()
            },
            ChatMessageDraft {
                role: "robot".into(),
                content: "x".into(),
                ..Default::default()
            },
            ChatMessageDraft {
                role: "assistant".into(),
                content: "y".repeat(MAX_MESSAGE_BYTES + 1),
                ..Default::default()
            },
        ];
        let errors = NewChatMessage::parse_all(drafts).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("message 1: role"), "{messages:?}");
        assert!(
            messages[1].starts_with("message 2: content"),
            "{messages:?}"
        );
        assert!(NewChatMessage::parse_all(Vec::new()).is_err());
    }

    #[test]
    fn models_are_names_without_whitespace() {
        assert_eq!(parse_chat_model("org/model").unwrap(), "org/model");
        assert!(parse_chat_model("a b").is_err());
        assert!(parse_chat_model("").is_err());
    }
}
