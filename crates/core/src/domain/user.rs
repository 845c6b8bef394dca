//! A user account and where it stands.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Email;
use crate::CoreError;

/// A user account as the rest of the application sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i32,
    pub email: Email,
    pub password_hash: String,
    pub is_admin: bool,
    pub status: UserStatus,
    pub session_version: i32,
    pub created_at: i64,
    pub approved_at: Option<i64>,
    pub approved_by: Option<i32>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"[REDACTED]")
            .field("is_admin", &self.is_admin)
            .field("status", &self.status)
            .field("session_version", &self.session_version)
            .field("created_at", &self.created_at)
            .field("approved_at", &self.approved_at)
            .field("approved_by", &self.approved_by)
            .finish()
    }
}

/// Where a user account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Registered, waiting for an admin.
    Pending,
    Approved,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        match raw {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "disabled" => Ok(Self::Disabled),
            other => Err(CoreError::Invalid {
                field: "status",
                message: format!("{other:?} is not one of pending, approved, disabled"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_status_round_trips_through_its_text_form() {
        for status in [
            UserStatus::Pending,
            UserStatus::Approved,
            UserStatus::Disabled,
        ] {
            assert_eq!(UserStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(UserStatus::parse("banned").is_err());
    }
}
