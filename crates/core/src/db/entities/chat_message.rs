use sea_orm::entity::prelude::*;

/// One message of a chat, at its position (0, 1, … with no gaps).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub chat_id: i32,
    pub position: i32,
    pub role: String,
    pub content: String,
    pub reasoning: Option<String>,
    /// A JSON array (OpenAI's `tool_calls`).
    pub tool_calls: Option<String>,
    /// A JSON object: what the UI shows under an answer (tokens, time to first token, speed).
    pub stats: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
