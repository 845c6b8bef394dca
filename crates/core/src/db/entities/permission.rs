use sea_orm::entity::prelude::*;

/// One permission an admin granted or withheld (see [`crate::domain::Permission`]); a
/// permission without a row has its default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "permissions")]
pub struct Model {
    /// [`crate::domain::Permission::name`], e.g. `members_manage_models`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub granted: bool,
    /// Unix milliseconds.
    pub updated_at: i64,
    /// The admin who set it last.
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
