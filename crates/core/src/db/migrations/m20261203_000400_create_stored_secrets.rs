//! Secrets the server keeps for itself (the hub token), each encrypted with a key that lives
//! in the data directory, never in the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, blob, integer_null, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StoredSecrets {
    Table,
    Name,
    Nonce,
    Ciphertext,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StoredSecrets::Table)
                    .if_not_exists()
                    .col(string(StoredSecrets::Name).primary_key())
                    .col(blob(StoredSecrets::Nonce))
                    .col(blob(StoredSecrets::Ciphertext))
                    .col(big_integer(StoredSecrets::UpdatedAt))
                    .col(integer_null(StoredSecrets::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stored_secrets_updated_by")
                            .from(StoredSecrets::Table, StoredSecrets::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StoredSecrets::Table).to_owned())
            .await
    }
}
