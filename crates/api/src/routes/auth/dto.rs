//! Request and response bodies of the auth routes (field names follow the original's API).

use std::time::{Duration, UNIX_EPOCH};

use mlx_manager_core::domain::{ApiKey, User, UserStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Unix milliseconds as RFC 3339 (UTC), the way the original's API shows times.
pub(crate) fn rfc3339(millis: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or_default());
    humantime::format_rfc3339_millis(time).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Disabled,
}

impl From<UserStatus> for Status {
    fn from(status: UserStatus) -> Self {
        match status {
            UserStatus::Pending => Self::Pending,
            UserStatus::Approved => Self::Approved,
            UserStatus::Disabled => Self::Disabled,
        }
    }
}

impl From<Status> for UserStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pending => Self::Pending,
            Status::Approved => Self::Approved,
            Status::Disabled => Self::Disabled,
        }
    }
}

/// A user as others may see them (never the password hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPublic {
    pub id: i32,
    #[schema(example = "ada@example.com")]
    pub email: String,
    pub is_admin: bool,
    pub status: Status,
    /// RFC 3339.
    pub created_at: String,
    pub approved_at: Option<String>,
    /// Id of the admin who approved the user.
    pub approved_by: Option<i32>,
}

impl From<User> for UserPublic {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email.to_string(),
            is_admin: user.is_admin,
            status: user.status.into(),
            created_at: rfc3339(user.created_at),
            approved_at: user.approved_at.map(rfc3339),
            approved_by: user.approved_by,
        }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 8–128 characters, not a common or easily guessed password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// The setup token `mlx-manager serve` printed at startup: needed only for the first
    /// account of a server that listens beyond loopback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_token: Option<String>,
}

/// Login as JSON. The same fields are accepted as an OAuth2 password form
/// (`application/x-www-form-urlencoded` with `username` and `password`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LoginRequest {
    /// The e-mail address (OAuth2 clients send it as `username`).
    #[serde(alias = "email")]
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
pub struct ListUsersQuery {
    /// Only users with this status.
    pub status: Option<Status>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CountResponse {
    pub count: u64,
}

/// The accounts waiting for approval, with a warning when registration is near or at its cap
/// (a sign of mass registration).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PendingCountResponse {
    pub count: u64,
    /// Registration closes (503) while this many accounts wait; absent: no cap.
    pub limit: Option<u64>,
    /// `count` is at or beyond four fifths of `limit`.
    pub near_limit: bool,
    /// Whether new users can register now.
    pub registration_open: bool,
    /// For the admin, when `near_limit`: what is happening and what to do.
    pub warning: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateUserRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[serde(default)]
    pub is_admin: bool,
}

/// Any subset of the fields; absent ones are left as they are.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UpdateUserRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    pub is_admin: Option<bool>,
    pub status: Option<Status>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ResetPasswordRequest {
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageResponse {
    pub message: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CreateApiKeyRequest {
    /// A label to recognise the key by (1–100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Days until the key stops working; absent: it never expires.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: i32,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    #[schema(example = "mlxm_3fA9kQ")]
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            prefix: key.display_prefix,
            created_at: rfc3339(key.created_at),
            last_used_at: key.last_used_at.map(rfc3339),
            expires_at: key.expires_at.map(rfc3339),
        }
    }
}

/// A new API key. `key` is shown this once and cannot be retrieved again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    pub key: String,
    #[serde(flatten)]
    pub details: ApiKeyResponse,
}

/// What the first registration needs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct SetupStatusResponse {
    /// No account exists yet: the next registration creates the administrator.
    pub first_admin_needed: bool,
    /// That registration must carry `setup_token`.
    pub setup_token_required: bool,
}

impl From<mlx_manager_auth::SetupStatus> for SetupStatusResponse {
    fn from(status: mlx_manager_auth::SetupStatus) -> Self {
        Self {
            first_admin_needed: status.first_admin_needed,
            setup_token_required: status.setup_token_required,
        }
    }
}
