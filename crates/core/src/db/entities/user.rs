use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    /// `pending`, `approved` or `disabled` (see [`crate::domain::UserStatus`]).
    pub status: String,
    /// Bumped to end every session the user has.
    pub session_version: i32,
    /// Unix milliseconds.
    pub created_at: i64,
    pub approved_at: Option<i64>,
    pub approved_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
