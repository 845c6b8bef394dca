use sea_orm::entity::prelude::*;

/// The limits of everyone in a scope (`members`) without limits of their own.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_defaults")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    pub requests_per_minute: Option<i32>,
    pub tokens_per_day: Option<i64>,
    /// Unix milliseconds.
    pub updated_at: i64,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
