//! The audit log of model-API use (`audit_logs`: who called which model how, with token counts
//! and timings — never prompt or output text) and the quotas admins set (`user_quotas` per user,
//! `quota_defaults` for members). Audit rows keep the user's id without a foreign key: the
//! record of what happened outlives the account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, integer_null, pk_auto, string, string_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Id,
    CreatedAt,
    RequestId,
    UserId,
    ApiKeyId,
    Model,
    Endpoint,
    Status,
    PromptTokens,
    CompletionTokens,
    TtftMs,
    DurationMs,
    ErrorType,
}

#[derive(DeriveIden)]
enum UserQuotas {
    Table,
    UserId,
    RequestsPerMinute,
    TokensPerDay,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum QuotaDefaults {
    Table,
    Scope,
    RequestsPerMinute,
    TokensPerDay,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLogs::Table)
                    .if_not_exists()
                    .col(pk_auto(AuditLogs::Id))
                    .col(big_integer(AuditLogs::CreatedAt))
                    .col(string_null(AuditLogs::RequestId))
                    .col(integer_null(AuditLogs::UserId))
                    .col(integer_null(AuditLogs::ApiKeyId))
                    .col(string_null(AuditLogs::Model))
                    .col(string(AuditLogs::Endpoint))
                    .col(integer(AuditLogs::Status))
                    .col(big_integer_null(AuditLogs::PromptTokens))
                    .col(big_integer_null(AuditLogs::CompletionTokens))
                    .col(big_integer_null(AuditLogs::TtftMs))
                    .col(big_integer(AuditLogs::DurationMs))
                    .col(string_null(AuditLogs::ErrorType))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_audit_logs_created", vec![AuditLogs::CreatedAt]),
            (
                "idx_audit_logs_user_created",
                vec![AuditLogs::UserId, AuditLogs::CreatedAt],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLogs::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(UserQuotas::Table)
                    .if_not_exists()
                    .col(integer(UserQuotas::UserId).primary_key())
                    .col(integer_null(UserQuotas::RequestsPerMinute))
                    .col(big_integer_null(UserQuotas::TokensPerDay))
                    .col(big_integer(UserQuotas::UpdatedAt))
                    .col(integer_null(UserQuotas::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_quotas_user")
                            .from(UserQuotas::Table, UserQuotas::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuotaDefaults::Table)
                    .if_not_exists()
                    .col(string(QuotaDefaults::Scope).primary_key())
                    .col(integer_null(QuotaDefaults::RequestsPerMinute))
                    .col(big_integer_null(QuotaDefaults::TokensPerDay))
                    .col(big_integer(QuotaDefaults::UpdatedAt))
                    .col(integer_null(QuotaDefaults::UpdatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_quota_defaults_updated_by")
                            .from(QuotaDefaults::Table, QuotaDefaults::UpdatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            QuotaDefaults::Table.into_iden(),
            UserQuotas::Table.into_iden(),
            AuditLogs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
