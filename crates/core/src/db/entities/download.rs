use sea_orm::entity::prelude::*;

/// A model download job; survives restarts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "downloads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub repo_id: String,
    /// What was asked for: a branch, tag or commit.
    pub revision: String,
    /// The commit the revision resolved to, once known.
    pub commit_sha: Option<String>,
    pub status: String,
    pub downloaded_bytes: i64,
    pub total_bytes: i64,
    pub files_done: i32,
    pub files_total: i32,
    pub error: Option<String>,
    pub requested_by: Option<i32>,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
