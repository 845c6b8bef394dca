//! An API key as the application sees it (never the key itself).

/// An API key's record; the key itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    pub display_prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}
