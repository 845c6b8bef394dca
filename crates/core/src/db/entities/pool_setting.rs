use sea_orm::entity::prelude::*;

/// One setting of the model pool (see [`crate::domain::PoolSettings`]); a setting without a
/// row has its default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pool_settings")]
pub struct Model {
    /// The field's name, e.g. `max_loaded_models`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Null: the default.
    pub value: Option<i64>,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// The admin who set it last.
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
