//! The model pool's settings, set by an admin: one row per setting (name → integer), so a later
//! setting is a new row whose default applies while it has none.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer_null, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PoolSettings {
    Table,
    Name,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PoolSettings::Table)
                    .if_not_exists()
                    .col(string(PoolSettings::Name).primary_key())
                    // Null: the default (e.g. the machine's memory budget).
                    .col(big_integer_null(PoolSettings::Value))
                    .col(big_integer(PoolSettings::UpdatedAt))
                    .col(integer_null(PoolSettings::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_pool_settings_updated_by")
                            .from(PoolSettings::Table, PoolSettings::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PoolSettings::Table).to_owned())
            .await
    }
}
