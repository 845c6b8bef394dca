//! Conversations of the web UI's chat, private to their owner: `chats` (a title, the model or
//! profile last used) and their `chat_messages` in order. A user's chats go with the user.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, integer, pk_auto, string, string_null, text, text_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
    UserId,
    Title,
    Model,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatMessages {
    Table,
    Id,
    ChatId,
    Position,
    Role,
    Content,
    Reasoning,
    ToolCalls,
    Stats,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Chats::Table)
                    .if_not_exists()
                    .col(pk_auto(Chats::Id))
                    .col(integer(Chats::UserId))
                    .col(string(Chats::Title))
                    .col(string_null(Chats::Model))
                    .col(big_integer(Chats::CreatedAt))
                    .col(big_integer(Chats::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_user")
                            .from(Chats::Table, Chats::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chats_user_updated")
                    .table(Chats::Table)
                    .col(Chats::UserId)
                    .col(Chats::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatMessages::Table)
                    .if_not_exists()
                    .col(pk_auto(ChatMessages::Id))
                    .col(integer(ChatMessages::ChatId))
                    .col(integer(ChatMessages::Position))
                    .col(string(ChatMessages::Role))
                    .col(text(ChatMessages::Content))
                    .col(text_null(ChatMessages::Reasoning))
                    .col(text_null(ChatMessages::ToolCalls))
                    .col(text_null(ChatMessages::Stats))
                    .col(big_integer(ChatMessages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_messages_chat")
                            .from(ChatMessages::Table, ChatMessages::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_messages_position")
                    .table(ChatMessages::Table)
                    .col(ChatMessages::ChatId)
                    .col(ChatMessages::Position)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChatMessages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Chats::Table).to_owned())
            .await
    }
}
