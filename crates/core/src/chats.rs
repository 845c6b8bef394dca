//! The web UI's conversations: every operation is the caller's own chats only, and every
//! input is checked before anything is stored (one answer names each bad field).

use crate::db::Database;
use crate::db::repositories::ChatRepository;
use crate::domain::chat::{ChatMessageDraft, parse_chat_model};
use crate::domain::{Chat, ChatMessage, ChatTitle, NewChatMessage, User};
use crate::{CoreError, InvalidField};

const DEFAULT_TITLE: &str = "New chat";

#[derive(Clone)]
pub struct ChatService {
    repository: ChatRepository,
}

fn invalid(fields: Vec<InvalidField>) -> CoreError {
    CoreError::InvalidFields(fields)
}

impl ChatService {
    pub fn new(db: Database) -> Self {
        Self {
            repository: ChatRepository::new(db),
        }
    }

    /// The caller's chats, the most recently changed first.
    pub async fn list(&self, actor: &User) -> Result<Vec<Chat>, CoreError> {
        self.repository.list(actor.id).await
    }

    /// A new chat of the caller's, with its first messages.
    pub async fn create(
        &self,
        actor: &User,
        title: Option<String>,
        model: Option<String>,
        messages: Vec<ChatMessageDraft>,
    ) -> Result<(Chat, Vec<ChatMessage>), CoreError> {
        let mut errors = Vec::new();
        let title = ChatTitle::parse(title.as_deref().unwrap_or(DEFAULT_TITLE))
            .map_err(|e| errors.push(e))
            .ok();
        let model = model
            .as_deref()
            .map(parse_chat_model)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let messages = match messages.is_empty() {
            true => Some(Vec::new()),
            false => NewChatMessage::parse_all(messages)
                .map_err(|e| errors.extend(e))
                .ok(),
        };
        let (Some(title), Some(messages), true) = (title, messages, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let chat = self.repository.create(actor.id, &title, model).await?;
        if messages.is_empty() {
            return Ok((chat, Vec::new()));
        }
        let stored = self.repository.append(actor.id, chat.id, messages).await?;
        let chat = self.repository.get(actor.id, chat.id).await?;
        Ok((chat, stored))
    }

    /// The chat with its messages.
    pub async fn open(&self, actor: &User, id: i32) -> Result<(Chat, Vec<ChatMessage>), CoreError> {
        let chat = self.repository.get(actor.id, id).await?;
        let messages = self.repository.messages(actor.id, id).await?;
        Ok((chat, messages))
    }

    /// Renames it and/or records the model it uses now (`Some(None)` clears the model).
    pub async fn update(
        &self,
        actor: &User,
        id: i32,
        title: Option<String>,
        model: Option<Option<String>>,
    ) -> Result<Chat, CoreError> {
        let mut errors = Vec::new();
        let title = title
            .as_deref()
            .map(ChatTitle::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let model = match model {
            Some(Some(raw)) => parse_chat_model(&raw)
                .map(|m| Some(Some(m)))
                .map_err(|e| errors.push(e))
                .ok()
                .flatten(),
            other => other,
        };
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        self.repository.update(actor.id, id, title, model).await
    }

    pub async fn delete(&self, actor: &User, id: i32) -> Result<(), CoreError> {
        self.repository.delete(actor.id, id).await
    }

    /// Adds messages after the last one.
    pub async fn append(
        &self,
        actor: &User,
        id: i32,
        messages: Vec<ChatMessageDraft>,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let messages = NewChatMessage::parse_all(messages).map_err(invalid)?;
        self.repository.append(actor.id, id, messages).await
    }

    /// Removes the messages from position `from` on (to edit a question or regenerate an
    /// answer).
    pub async fn truncate(&self, actor: &User, id: i32, from: usize) -> Result<(), CoreError> {
        self.repository.truncate(actor.id, id, from).await
    }
}
