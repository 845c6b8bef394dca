use sea_orm::entity::prelude::*;

/// An admin's limits for one user, replacing the members' default for them; `None`: unlimited.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub requests_per_minute: Option<i32>,
    pub tokens_per_day: Option<i64>,
    /// Unix milliseconds.
    pub updated_at: i64,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
