//! `Email`: an e-mail address normalised once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// A normalised e-mail address: trimmed, lower-cased, syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let normalised = raw.trim().to_lowercase();
        let invalid = |message: &str| CoreError::Invalid {
            field: "email",
            message: message.to_string(),
        };
        if normalised.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if normalised.len() > Self::MAX_LEN {
            return Err(invalid("must be at most 254 characters"));
        }
        let options = email_address::Options::default().without_display_text();
        if !email_address::EmailAddress::is_valid(&normalised)
            || email_address::EmailAddress::parse_with_options(&normalised, options).is_err()
        {
            return Err(invalid("is not a valid e-mail address"));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Email::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for raw in [
            "",
            "   ",
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "Alice <a@b.c>",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be rejected");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }
}
