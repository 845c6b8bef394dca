//! Brings stored e-mail addresses into the form [`Email::parse`] now gives (NFKC, lower case),
//! so that logging in finds them: before, addresses were only trimmed and lower-cased, so an
//! account registered as `cafe\u{301}@…` (decomposed) would no longer match its own login.
//!
//! An address is rewritten only when its normal form is a valid address under today's rules
//! and no other account has it. Otherwise (a look-alike of an existing account, an invisible
//! character) the row is left as it was: it can no longer log in under that address, and an
//! admin sees it in the user list to rename or delete. Nearly every stored address is ASCII,
//! which the rewrite leaves unchanged. Running it twice changes nothing.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::domain::Email;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let select = Query::select()
            .columns([Users::Id, Users::Email])
            .from(Users::Table)
            .order_by(Users::Id, Order::Asc)
            .to_owned();
        let mut rows = Vec::new();
        for row in conn.query_all(&select).await? {
            let id: i32 = row.try_get("", "id")?;
            let email: String = row.try_get("", "email")?;
            rows.push((id, email));
        }
        let mut taken: HashSet<String> = rows.iter().map(|(_, email)| email.clone()).collect();
        for (id, stored) in rows {
            let normal = Email::normal_form(&stored);
            if normal == stored || taken.contains(&normal) || Email::parse(&normal).is_err() {
                continue;
            }
            let update = Query::update()
                .table(Users::Table)
                .value(Users::Email, normal.clone())
                .and_where(Expr::col(Users::Id).eq(id))
                .to_owned();
            conn.execute(&update).await?;
            taken.remove(&stored);
            taken.insert(normal);
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The old forms are not kept: a rollback leaves the addresses normalised.
        Ok(())
    }
}
