//! Profiles say how `/v1/embeddings` pools a model's hidden states: `last` (the last token's,
//! as Qwen3-Embedding does; the default, also for existing profiles) or `mean`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Profiles {
    Table,
    EmbeddingPooling,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Profiles::Table)
                    .add_column(string(Profiles::EmbeddingPooling).default("last"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Profiles::Table)
                    .drop_column(Profiles::EmbeddingPooling)
                    .to_owned(),
            )
            .await
    }
}
