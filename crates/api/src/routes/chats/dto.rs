//! Request and response bodies of the chat routes.

use mlx_manager_core::domain::chat::ChatMessageDraft;
use mlx_manager_core::domain::{Chat, ChatMessage};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::routes::auth::rfc3339;

/// A new chat, possibly with its first messages.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewChatRequest {
    /// 1–200 characters; default "New chat".
    pub title: Option<String>,
    /// The profile or model it talks to, as `/v1` names them.
    pub model: Option<String>,
    #[serde(default)]
    pub messages: Vec<ChatMessageIn>,
}

/// Changes to a chat: absent fields stay; `model: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatPatchRequest {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
}

fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AppendMessagesRequest {
    /// 1–100 messages, added after the last one in this order.
    pub messages: Vec<ChatMessageIn>,
}

/// Query of `DELETE /api/chats/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TruncateQuery {
    /// The position of the first message to remove (the ones after it go too).
    pub from: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChatMessageIn {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    #[serde(default)]
    pub content: String,
    /// An answer's thinking.
    pub reasoning: Option<String>,
    /// An answer's tool calls, as `/v1` returned them.
    #[schema(value_type = Option<Vec<Object>>)]
    pub tool_calls: Option<Vec<Value>>,
    /// What to show under an answer (e.g. prompt tokens, time to first token, tokens/s).
    #[schema(value_type = Option<Object>)]
    pub stats: Option<Map<String, Value>>,
}

impl From<ChatMessageIn> for ChatMessageDraft {
    fn from(m: ChatMessageIn) -> Self {
        Self {
            role: m.role,
            content: m.content,
            reasoning: m.reasoning,
            tool_calls: m.tool_calls,
            stats: m.stats,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSummary {
    pub id: i32,
    pub title: String,
    pub model: Option<String>,
    pub message_count: usize,
    /// RFC 3339.
    pub created_at: String,
    /// The last rename or message.
    pub updated_at: String,
}

impl From<Chat> for ChatSummary {
    fn from(chat: Chat) -> Self {
        Self {
            id: chat.id,
            title: chat.title.as_str().to_string(),
            model: chat.model,
            message_count: chat.message_count,
            created_at: rfc3339(chat.created_at),
            updated_at: rfc3339(chat.updated_at),
        }
    }
}

/// A chat with its messages in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDetail {
    pub id: i32,
    pub title: String,
    pub model: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub messages: Vec<ChatMessageOut>,
}

impl ChatDetail {
    pub fn new(chat: Chat, messages: Vec<ChatMessage>) -> Self {
        let summary = ChatSummary::from(chat);
        Self {
            id: summary.id,
            title: summary.title,
            model: summary.model,
            created_at: summary.created_at,
            updated_at: summary.updated_at,
            messages: messages.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatMessageOut {
    pub id: i32,
    /// 0 for the first message.
    pub position: usize,
    pub role: &'static str,
    pub content: String,
    pub reasoning: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tool_calls: Option<Vec<Value>>,
    #[schema(value_type = Option<Object>)]
    pub stats: Option<Map<String, Value>>,
    pub created_at: String,
}

impl From<ChatMessage> for ChatMessageOut {
    fn from(stored: ChatMessage) -> Self {
        let m = stored.message;
        Self {
            id: stored.id,
            position: stored.position,
            role: m.role.as_str(),
            content: m.content,
            reasoning: m.reasoning,
            tool_calls: m.tool_calls,
            stats: m.stats,
            created_at: rfc3339(stored.created_at),
        }
    }
}
