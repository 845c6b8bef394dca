//! Admission before loading: which idle models to evict so a new one fits.

use std::time::Instant;

use crate::InferenceError;

/// Why a resident model cannot be evicted (or `None` when it can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldReason {
    Pinned,
    /// A request is running or queued (it holds a lease).
    Busy,
    Loading,
}

/// A model that holds memory now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub id: String,
    pub bytes: u64,
    pub last_used: Instant,
    /// `None`: idle and unpinned, so it may be evicted.
    pub hold: Option<HoldReason>,
}

/// One holder of memory, as a refusal reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldMemory {
    pub model: String,
    pub bytes: u64,
    pub hold: Option<HoldReason>,
}

/// The models to evict (in this order) so `need_bytes` more fit under `limit_bytes` and at most
/// `max_models` are loaded, or a typed refusal saying what needs, what is free and what holds
/// the rest.
///
/// Victims are idle, unpinned models, least recently used first; when memory is short, one model
/// whose memory alone makes room is preferred over several small ones, and when several are
/// needed, any that turn out unnecessary are spared, the most recently used first.
pub fn plan_admission(
    model: &str,
    need_bytes: u64,
    limit_bytes: u64,
    max_models: usize,
    residents: &[Resident],
) -> Result<Vec<String>, InferenceError> {
    let used: u64 = residents.iter().map(|r| r.bytes).sum();
    let free = limit_bytes.saturating_sub(used);
    let refuse = || InferenceError::InsufficientMemory {
        model: model.to_string(),
        need_bytes,
        free_bytes: free,
        limit_bytes,
        held_by: residents
            .iter()
            .map(|r| HeldMemory {
                model: r.id.clone(),
                bytes: r.bytes,
                hold: r.hold,
            })
            .collect(),
    };
    if need_bytes > limit_bytes {
        return Err(refuse());
    }
    let mut candidates: Vec<&Resident> = residents.iter().filter(|r| r.hold.is_none()).collect();
    candidates.sort_by_key(|r| r.last_used);
    let short = need_bytes.saturating_sub(free);
    let mut victims: Vec<&Resident> = Vec::new();
    if short > 0 {
        if let Some(alone) = candidates.iter().find(|r| r.bytes >= short) {
            victims.push(alone);
        } else {
            let mut freed = 0;
            for candidate in &candidates {
                if freed >= short {
                    break;
                }
                freed += candidate.bytes;
                victims.push(candidate);
            }
            if freed < short {
                return Err(refuse());
            }
            // Spare the warmest victims that turn out unnecessary.
            for index in (0..victims.len()).rev() {
                if freed - victims[index].bytes >= short {
                    freed -= victims[index].bytes;
                    victims.remove(index);
                }
            }
        }
    }
    let count_short = (residents.len() + 1).saturating_sub(max_models.max(1));
    for candidate in &candidates {
        if victims.len() >= count_short {
            break;
        }
        if !victims.iter().any(|v| v.id == candidate.id) {
            victims.push(candidate);
        }
    }
    if victims.len() < count_short {
        return Err(InferenceError::TooManyModels {
            model: model.to_string(),
            max_models,
            held_by: residents.iter().map(|r| r.id.clone()).collect(),
        });
    }
    Ok(victims.into_iter().map(|v| v.id.clone()).collect())
}
