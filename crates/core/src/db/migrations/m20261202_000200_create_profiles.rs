//! Profiles: named ways to run a model. Generation defaults are typed columns (adding one is a
//! new migration); `stop` (a list) and `template_options` (an object) are JSON text. Names are
//! unique regardless of case, through `name_key`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, double_null, integer_null, pk_auto, string,
    string_null, text, text_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Profiles {
    Table,
    Id,
    Name,
    NameKey,
    Description,
    Model,
    Revision,
    SystemPrompt,
    Temperature,
    TopP,
    TopK,
    MinP,
    RepetitionPenalty,
    MaxTokens,
    Seed,
    Stop,
    ContextLength,
    TemplateOptions,
    KeepAliveSecs,
    AutoStart,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Profiles::Table)
                    .if_not_exists()
                    .col(pk_auto(Profiles::Id))
                    .col(string(Profiles::Name))
                    .col(string(Profiles::NameKey))
                    .col(text_null(Profiles::Description))
                    .col(string(Profiles::Model))
                    .col(string_null(Profiles::Revision))
                    .col(text_null(Profiles::SystemPrompt))
                    .col(double_null(Profiles::Temperature))
                    .col(double_null(Profiles::TopP))
                    .col(integer_null(Profiles::TopK))
                    .col(double_null(Profiles::MinP))
                    .col(double_null(Profiles::RepetitionPenalty))
                    .col(integer_null(Profiles::MaxTokens))
                    .col(big_integer_null(Profiles::Seed))
                    .col(text(Profiles::Stop))
                    .col(integer_null(Profiles::ContextLength))
                    .col(text(Profiles::TemplateOptions))
                    .col(big_integer_null(Profiles::KeepAliveSecs))
                    .col(boolean(Profiles::AutoStart))
                    .col(integer_null(Profiles::CreatedBy))
                    .col(big_integer(Profiles::CreatedAt))
                    .col(big_integer(Profiles::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_profiles_created_by")
                            .from(Profiles::Table, Profiles::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_profiles_name_key")
                    .table(Profiles::Table)
                    .col(Profiles::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Profiles::Table).to_owned())
            .await
    }
}
