use sea_orm::entity::prelude::*;

/// A secret encrypted with the data directory's key (see [`crate::secrets`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stored_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub nonce: Vec<u8>,
    /// The secret sealed with ChaCha20-Poly1305, its name as associated data.
    pub ciphertext: Vec<u8>,
    /// Unix milliseconds.
    pub updated_at: i64,
    pub updated_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
