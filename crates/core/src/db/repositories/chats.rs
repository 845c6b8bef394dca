//! Chats and their messages. Every query names the owner: a chat of someone else is "not
//! found", whoever asks.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Map, Value};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::{chat, chat_message};
use crate::domain::chat::{ChatRole, MAX_MESSAGES_PER_CHAT};
use crate::domain::{Chat, ChatMessage, ChatTitle, NewChatMessage};
use crate::time::now_millis;

const ENTITY: &str = "chat";

fn db_error(error: sea_orm::DbErr) -> CoreError {
    // Two appends at once can pick the same position; the later one is refused.
    map_db_error(error, "chat message", "position")
}

fn corrupt(what: &str) -> CoreError {
    CoreError::CorruptRecord(format!("chat message: {what}"))
}

fn chat_of(row: chat::Model, message_count: usize) -> Result<Chat, CoreError> {
    Ok(Chat {
        id: row.id,
        user_id: row.user_id,
        title: ChatTitle::parse(&row.title)
            .map_err(|_| CoreError::CorruptRecord(format!("chat {}: title", row.id)))?,
        model: row.model,
        message_count,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn message_of(row: chat_message::Model) -> Result<ChatMessage, CoreError> {
    let tool_calls: Option<Vec<Value>> = row
        .tool_calls
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| corrupt("tool_calls"))?;
    let stats: Option<Map<String, Value>> = row
        .stats
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| corrupt("stats"))?;
    Ok(ChatMessage {
        id: row.id,
        position: usize::try_from(row.position).map_err(|_| corrupt("position"))?,
        message: NewChatMessage {
            role: ChatRole::parse(&row.role).map_err(|_| corrupt("role"))?,
            content: row.content,
            reasoning: row.reasoning,
            tool_calls,
            stats,
        },
        created_at: row.created_at,
    })
}

#[derive(Clone)]
pub struct ChatRepository {
    db: Database,
}

impl ChatRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The user's chats, the most recently changed first.
    pub async fn list(&self, user_id: i32) -> Result<Vec<Chat>, CoreError> {
        let rows = chat::Entity::find()
            .filter(chat::Column::UserId.eq(user_id))
            .order_by_desc(chat::Column::UpdatedAt)
            .order_by_desc(chat::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(db_error)?;
        let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
        let counts: HashMap<i32, i64> = chat_message::Entity::find()
            .select_only()
            .column(chat_message::Column::ChatId)
            .column_as(
                Expr::from(Func::count(Expr::col(chat_message::Column::Id))),
                "count",
            )
            .filter(chat_message::Column::ChatId.is_in(ids))
            .group_by(chat_message::Column::ChatId)
            .into_tuple::<(i32, i64)>()
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|row| {
                let count = counts.get(&row.id).copied().unwrap_or(0) as usize;
                chat_of(row, count)
            })
            .collect()
    }

    pub async fn create(
        &self,
        user_id: i32,
        title: &ChatTitle,
        model: Option<String>,
    ) -> Result<Chat, CoreError> {
        let now = now_millis();
        let row = chat::ActiveModel {
            user_id: Set(user_id),
            title: Set(title.as_str().to_string()),
            model: Set(model),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db.connection())
        .await
        .map_err(db_error)?;
        chat_of(row, 0)
    }

    pub async fn get(&self, user_id: i32, id: i32) -> Result<Chat, CoreError> {
        let row = owned_row(self.db.connection(), user_id, id).await?;
        let count = message_count(self.db.connection(), id).await?;
        chat_of(row, count)
    }

    /// Renames the chat and/or records the model it now uses (`Some(None)` clears it).
    pub async fn update(
        &self,
        user_id: i32,
        id: i32,
        title: Option<ChatTitle>,
        model: Option<Option<String>>,
    ) -> Result<Chat, CoreError> {
        let row = owned_row(self.db.connection(), user_id, id).await?;
        let mut active: chat::ActiveModel = row.into();
        if let Some(title) = title {
            active.title = Set(title.as_str().to_string());
        }
        if let Some(model) = model {
            active.model = Set(model);
        }
        active.updated_at = Set(now_millis());
        let row = active
            .update(self.db.connection())
            .await
            .map_err(|error| match error {
                sea_orm::DbErr::RecordNotUpdated => CoreError::NotFound { entity: ENTITY },
                other => db_error(other),
            })?;
        let count = message_count(self.db.connection(), id).await?;
        chat_of(row, count)
    }

    /// Deletes the chat with its messages.
    pub async fn delete(&self, user_id: i32, id: i32) -> Result<(), CoreError> {
        let result = chat::Entity::delete_many()
            .filter(chat::Column::Id.eq(id))
            .filter(chat::Column::UserId.eq(user_id))
            .exec(self.db.connection())
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(CoreError::NotFound { entity: ENTITY });
        }
        Ok(())
    }

    /// The chat's messages in order.
    pub async fn messages(&self, user_id: i32, id: i32) -> Result<Vec<ChatMessage>, CoreError> {
        owned_row(self.db.connection(), user_id, id).await?;
        chat_message::Entity::find()
            .filter(chat_message::Column::ChatId.eq(id))
            .order_by_asc(chat_message::Column::Position)
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(message_of)
            .collect()
    }

    /// Adds `messages` after the last one, in one transaction; returns them as stored.
    pub async fn append(
        &self,
        user_id: i32,
        id: i32,
        messages: Vec<NewChatMessage>,
    ) -> Result<Vec<ChatMessage>, CoreError> {
        let txn = self.db.connection().begin().await.map_err(db_error)?;
        let row = owned_row(&txn, user_id, id).await?;
        let start = message_count(&txn, id).await?;
        if start + messages.len() > MAX_MESSAGES_PER_CHAT {
            return Err(CoreError::Invalid {
                field: "messages",
                message: format!("a chat holds at most {MAX_MESSAGES_PER_CHAT} messages"),
            });
        }
        let now = now_millis();
        let mut stored = Vec::with_capacity(messages.len());
        for (offset, message) in messages.into_iter().enumerate() {
            let row = chat_message::ActiveModel {
                chat_id: Set(id),
                position: Set(i32::try_from(start + offset).map_err(|_| corrupt("position"))?),
                role: Set(message.role.as_str().to_string()),
                content: Set(message.content.clone()),
                reasoning: Set(message.reasoning.clone()),
                tool_calls: Set(message.tool_calls.as_ref().map(to_json)),
                stats: Set(message.stats.as_ref().map(to_json)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(db_error)?;
            stored.push(message_of(row)?);
        }
        let mut chat: chat::ActiveModel = row.into();
        chat.updated_at = Set(now);
        chat.update(&txn).await.map_err(db_error)?;
        txn.commit().await.map_err(db_error)?;
        Ok(stored)
    }

    /// Removes the messages from position `from` on (editing or regenerating an answer).
    pub async fn truncate(&self, user_id: i32, id: i32, from: usize) -> Result<(), CoreError> {
        let txn = self.db.connection().begin().await.map_err(db_error)?;
        let row = owned_row(&txn, user_id, id).await?;
        let from = i32::try_from(from).unwrap_or(i32::MAX);
        chat_message::Entity::delete_many()
            .filter(chat_message::Column::ChatId.eq(id))
            .filter(chat_message::Column::Position.gte(from))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        let mut chat: chat::ActiveModel = row.into();
        chat.updated_at = Set(now_millis());
        chat.update(&txn).await.map_err(db_error)?;
        txn.commit().await.map_err(db_error)
    }
}

/// JSON text of a value that came from JSON (so it always serialises).
fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

async fn owned_row(
    db: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
) -> Result<chat::Model, CoreError> {
    chat::Entity::find_by_id(id)
        .filter(chat::Column::UserId.eq(user_id))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or(CoreError::NotFound { entity: ENTITY })
}

async fn message_count(db: &impl ConnectionTrait, id: i32) -> Result<usize, CoreError> {
    let count = chat_message::Entity::find()
        .filter(chat_message::Column::ChatId.eq(id))
        .count(db)
        .await
        .map_err(db_error)?;
    Ok(count as usize)
}
