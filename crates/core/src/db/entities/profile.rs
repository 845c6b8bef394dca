use sea_orm::entity::prelude::*;

/// A profile: a named way to run a model. The generation defaults are columns of their own
/// (typed, one migration per new one); `stop` and `template_options` are JSON text.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// As given.
    pub name: String,
    /// The name in ASCII lower case: unique, so names differing only in case cannot coexist.
    #[sea_orm(unique)]
    pub name_key: String,
    pub description: Option<String>,
    /// The model's `org/name` repository id.
    pub model: String,
    pub revision: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i32>,
    pub min_p: Option<f64>,
    pub repetition_penalty: Option<f64>,
    pub max_tokens: Option<i32>,
    pub seed: Option<i64>,
    /// A JSON array of strings.
    pub stop: String,
    pub context_length: Option<i32>,
    /// A JSON object.
    pub template_options: String,
    pub keep_alive_secs: Option<i64>,
    pub auto_start: bool,
    /// `last` or `mean`.
    pub embedding_pooling: String,
    pub created_by: Option<i32>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
