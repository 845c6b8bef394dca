//! What members may do, set by an admin: one row per permission, so a later permission is a new
//! row (its default applies while it has none), not a new column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, boolean, integer_null, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Permissions {
    Table,
    Name,
    Granted,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Permissions::Table)
                    .if_not_exists()
                    .col(string(Permissions::Name).primary_key())
                    .col(boolean(Permissions::Granted))
                    .col(big_integer(Permissions::UpdatedAt))
                    .col(integer_null(Permissions::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_permissions_updated_by")
                            .from(Permissions::Table, Permissions::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Permissions::Table).to_owned())
            .await
    }
}
