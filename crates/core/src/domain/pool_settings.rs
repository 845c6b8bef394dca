//! The model pool's settings an admin changes while the server runs: its memory limit, how many
//! models stay loaded, how long idle ones stay, how many requests one model runs together, how
//! many may wait and for how long.

use crate::domain::profile::KeepAlive;
use crate::{CoreError, InvalidField};

/// The smallest memory limit accepted: below it no model fits anyway.
pub const MIN_MEMORY_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Checked pool settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `None`: the machine's default budget (75 % of RAM on Linux, MLX's recommended working
    /// set on macOS).
    pub memory_limit_bytes: Option<u64>,
    /// 1–64.
    pub max_loaded_models: u32,
    /// For models whose profile (or request) sets none.
    pub default_keep_alive: KeepAlive,
    /// 0–10 000 requests waiting per model.
    pub max_queued_requests: u32,
    /// 1–64 requests one model decodes together (continuous batching).
    pub max_batch_size: u32,
    /// 1–3 600 seconds.
    pub queue_timeout_secs: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            memory_limit_bytes: None,
            max_loaded_models: 4,
            default_keep_alive: KeepAlive::For(std::time::Duration::from_secs(300)),
            max_queued_requests: 32,
            max_batch_size: 8,
            queue_timeout_secs: 60,
        }
    }
}

/// Pool settings as an admin sends them, unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettingsDraft {
    pub memory_limit_bytes: Option<i64>,
    pub max_loaded_models: i64,
    pub default_keep_alive_secs: i64,
    pub max_queued_requests: i64,
    pub max_batch_size: i64,
    pub queue_timeout_secs: i64,
}

impl PoolSettings {
    /// Checks every field; all invalid ones are reported at once. `physical_bytes` bounds the
    /// memory limit (a limit above the machine's memory is a typo, not a plan).
    pub fn parse(draft: PoolSettingsDraft, physical_bytes: u64) -> Result<Self, CoreError> {
        let mut invalid = Vec::new();
        let mut ranged = |field: &'static str, value: i64, min: i64, max: i64| {
            if (min..=max).contains(&value) {
                value as u32
            } else {
                invalid.push(InvalidField::new(
                    field,
                    format!("{value} is outside {min}..={max}"),
                ));
                0
            }
        };
        let max_loaded_models = ranged("max_loaded_models", draft.max_loaded_models, 1, 64);
        let max_queued_requests =
            ranged("max_queued_requests", draft.max_queued_requests, 0, 10_000);
        let max_batch_size = ranged("max_batch_size", draft.max_batch_size, 1, 64);
        let queue_timeout_secs = ranged("queue_timeout_secs", draft.queue_timeout_secs, 1, 3_600);
        let memory_limit_bytes = match draft.memory_limit_bytes {
            None => None,
            Some(bytes)
                if bytes >= MIN_MEMORY_LIMIT_BYTES as i64 && bytes as u64 <= physical_bytes =>
            {
                Some(bytes as u64)
            }
            Some(bytes) => {
                invalid.push(InvalidField::new(
                    "memory_limit_bytes",
                    format!(
                        "{bytes} is outside {MIN_MEMORY_LIMIT_BYTES}..={physical_bytes} (64 MiB to \
                         the machine's memory); null uses the default budget"
                    ),
                ));
                None
            }
        };
        let default_keep_alive = match KeepAlive::from_secs(draft.default_keep_alive_secs) {
            Ok(keep_alive) => Some(keep_alive),
            Err(error) => {
                invalid.push(InvalidField::new("default_keep_alive_secs", error.message));
                None
            }
        };
        match default_keep_alive {
            Some(default_keep_alive) if invalid.is_empty() => Ok(Self {
                memory_limit_bytes,
                max_loaded_models,
                default_keep_alive,
                max_queued_requests,
                max_batch_size,
                queue_timeout_secs,
            }),
            _ => Err(CoreError::InvalidFields(invalid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn draft() -> PoolSettingsDraft {
        PoolSettingsDraft {
            memory_limit_bytes: Some(GIB as i64),
            max_loaded_models: 2,
            default_keep_alive_secs: -1,
            max_queued_requests: 0,
            max_batch_size: 4,
            queue_timeout_secs: 10,
        }
    }

    #[test]
    fn valid_settings_parse() {
        let settings = PoolSettings::parse(draft(), 16 * GIB).unwrap();
        assert_eq!(settings.memory_limit_bytes, Some(GIB));
        assert_eq!(settings.default_keep_alive, KeepAlive::Forever);
        assert_eq!(settings.max_batch_size, 4);
        let default_budget = PoolSettingsDraft {
            memory_limit_bytes: None,
            ..draft()
        };
        assert_eq!(
            PoolSettings::parse(default_budget, 16 * GIB)
                .unwrap()
                .memory_limit_bytes,
            None
        );
    }

    #[test]
    fn every_invalid_field_is_named() {
        let bad = PoolSettingsDraft {
            memory_limit_bytes: Some(32 * GIB as i64),
            max_loaded_models: 0,
            default_keep_alive_secs: -2,
            max_queued_requests: 10_001,
            max_batch_size: 65,
            queue_timeout_secs: 0,
        };
        let Err(CoreError::InvalidFields(fields)) = PoolSettings::parse(bad, 16 * GIB) else {
            panic!("accepted")
        };
        let mut names: Vec<_> = fields.iter().map(|f| f.field).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "default_keep_alive_secs",
                "max_batch_size",
                "max_loaded_models",
                "max_queued_requests",
                "memory_limit_bytes",
                "queue_timeout_secs"
            ]
        );
    }
}
