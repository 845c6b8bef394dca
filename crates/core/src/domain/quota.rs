//! Quotas: how much of the model API a user may use.

use crate::InvalidField;

/// Limits on a user's model-API use; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Requests of any kind to `/v1` in the last 60 seconds.
    pub requests_per_minute: Option<u32>,
    /// Generated (completion) tokens in the last 24 hours.
    pub tokens_per_day: Option<u64>,
}

/// The largest limits accepted (beyond them a limit means nothing).
const MAX_REQUESTS_PER_MINUTE: u64 = 1_000_000;
const MAX_TOKENS_PER_DAY: u64 = 1_000_000_000_000;

impl QuotaLimits {
    pub const UNLIMITED: Self = Self {
        requests_per_minute: None,
        tokens_per_day: None,
    };

    /// Checks both limits (each at least 1), naming every bad field.
    pub fn parse(
        requests_per_minute: Option<u64>,
        tokens_per_day: Option<u64>,
    ) -> Result<Self, Vec<InvalidField>> {
        let mut errors = Vec::new();
        if let Some(value) = requests_per_minute
            && !(1..=MAX_REQUESTS_PER_MINUTE).contains(&value)
        {
            errors.push(InvalidField::new(
                "requests_per_minute",
                format!("must be between 1 and {MAX_REQUESTS_PER_MINUTE}, or null for no limit"),
            ));
        }
        if let Some(value) = tokens_per_day
            && !(1..=MAX_TOKENS_PER_DAY).contains(&value)
        {
            errors.push(InvalidField::new(
                "tokens_per_day",
                format!("must be between 1 and {MAX_TOKENS_PER_DAY}, or null for no limit"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            requests_per_minute: requests_per_minute.map(|v| v as u32),
            tokens_per_day,
        })
    }
}

/// Where a user's limits come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaSource {
    /// An admin set limits for this user.
    User,
    /// The members' default.
    MembersDefault,
    /// Admins without limits of their own have none.
    None,
}

impl QuotaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::MembersDefault => "members_default",
            Self::None => "none",
        }
    }
}

/// A user's limits and where they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveQuota {
    pub limits: QuotaLimits,
    pub source: QuotaSource,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_limits_are_refused_naming_each_field() {
        let errors = QuotaLimits::parse(Some(0), Some(0)).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["requests_per_minute", "tokens_per_day"]);
    }

    #[test]
    fn null_limits_mean_no_limit() {
        assert_eq!(
            QuotaLimits::parse(None, None).unwrap(),
            QuotaLimits::UNLIMITED
        );
        let limits = QuotaLimits::parse(Some(5), Some(1000)).unwrap();
        assert_eq!(limits.requests_per_minute, Some(5));
        assert_eq!(limits.tokens_per_day, Some(1000));
    }
}
