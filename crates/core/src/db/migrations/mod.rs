//! Schema migrations, applied in order at startup. Never edit a released migration: add a new one.

use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_auth_tables;
mod m20261125_000003_create_downloads;
mod m20261202_000001_normalise_emails;
mod m20261202_000100_create_permissions;
mod m20261202_000200_create_profiles;
mod m20261202_000300_create_pool_settings;
mod m20261203_000100_add_profile_embedding_pooling;
mod m20261203_000200_create_chats;
mod m20261203_000300_create_audit_logs_and_quotas;
mod m20261203_000400_create_stored_secrets;
mod m20261204_000100_add_audit_client_address;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_auth_tables::Migration),
            Box::new(m20261125_000003_create_downloads::Migration),
            Box::new(m20261202_000001_normalise_emails::Migration),
            Box::new(m20261202_000100_create_permissions::Migration),
            Box::new(m20261202_000200_create_profiles::Migration),
            Box::new(m20261202_000300_create_pool_settings::Migration),
            Box::new(m20261203_000100_add_profile_embedding_pooling::Migration),
            Box::new(m20261203_000200_create_chats::Migration),
            Box::new(m20261203_000300_create_audit_logs_and_quotas::Migration),
            Box::new(m20261203_000400_create_stored_secrets::Migration),
            Box::new(m20261204_000100_add_audit_client_address::Migration),
        ]
    }
}
