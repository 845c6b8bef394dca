use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, integer_null, pk_auto, string, string_null, text_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Downloads {
    Table,
    Id,
    RepoId,
    Revision,
    CommitSha,
    Status,
    DownloadedBytes,
    TotalBytes,
    FilesDone,
    FilesTotal,
    Error,
    RequestedBy,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Downloads::Table)
                    .if_not_exists()
                    .col(pk_auto(Downloads::Id))
                    .col(string(Downloads::RepoId))
                    .col(string(Downloads::Revision))
                    .col(string_null(Downloads::CommitSha))
                    .col(string(Downloads::Status))
                    .col(big_integer(Downloads::DownloadedBytes))
                    .col(big_integer(Downloads::TotalBytes))
                    .col(integer(Downloads::FilesDone))
                    .col(integer(Downloads::FilesTotal))
                    .col(text_null(Downloads::Error))
                    .col(integer_null(Downloads::RequestedBy))
                    .col(big_integer(Downloads::CreatedAt))
                    .col(big_integer(Downloads::UpdatedAt))
                    .col(big_integer_null(Downloads::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_downloads_requested_by")
                            .from(Downloads::Table, Downloads::RequestedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_downloads_status")
                    .table(Downloads::Table)
                    .col(Downloads::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_downloads_repo_id")
                    .table(Downloads::Table)
                    .col(Downloads::RepoId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Downloads::Table).to_owned())
            .await
    }
}
