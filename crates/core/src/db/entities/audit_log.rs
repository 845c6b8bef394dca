use sea_orm::entity::prelude::*;

/// One model-API request: who, which model, how it ended, its token counts and timings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// When the request arrived, Unix milliseconds.
    pub created_at: i64,
    pub request_id: Option<String>,
    pub user_id: Option<i32>,
    pub api_key_id: Option<i32>,
    pub model: Option<String>,
    pub endpoint: String,
    pub status: i32,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub ttft_ms: Option<i64>,
    pub duration_ms: i64,
    pub error_type: Option<String>,
    /// The client's IP address, as text.
    pub client_address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
