use sea_orm::entity::prelude::*;

/// A conversation of one user.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chats")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub title: String,
    /// The profile or model last chatted with, as `/v1` names it.
    pub model: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The last change: a rename or a new message.
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
