//! Each user's recent model-API use, in memory, as the quotas count it: requests of the last
//! minute and generated tokens of the last 24 hours. Seeded from the audit log at startup, so a
//! restart forgets nothing the log recorded.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::db::repositories::RecentUse;
use crate::domain::QuotaLimits;

pub(crate) const MINUTE_MS: i64 = 60_000;
pub(crate) const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// What a request may use of the quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaUse {
    /// A generation: counts against both limits.
    Generation,
    /// Anything else (model lists, token counts, embeddings): requests per minute only.
    Other,
}

/// A limit that was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQuota {
    pub detail: String,
    /// When the window frees enough for one more request, in whole seconds (at least 1).
    pub retry_after_secs: u64,
}

#[derive(Default)]
struct UserUse {
    /// Arrival times of the counted requests of the last minute, oldest first.
    requests: VecDeque<i64>,
    /// (finish time, generated tokens) of the last day, oldest first.
    tokens: VecDeque<(i64, u64)>,
}

impl UserUse {
    fn forget_before(&mut self, now: i64) {
        while self.requests.front().is_some_and(|&t| t <= now - MINUTE_MS) {
            self.requests.pop_front();
        }
        while self.tokens.front().is_some_and(|&(t, _)| t <= now - DAY_MS) {
            self.tokens.pop_front();
        }
    }

    fn tokens(&self) -> u64 {
        self.tokens.iter().map(|&(_, n)| n).sum()
    }

    fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.tokens.is_empty()
    }
}

fn secs_until(at: i64, now: i64) -> u64 {
    let ms = u64::try_from(at - now).unwrap_or(0);
    ms.div_ceil(1000).max(1)
}

#[derive(Default)]
pub struct UsageLedger {
    users: Mutex<HashMap<i32, UserUse>>,
}

impl UsageLedger {
    /// A ledger holding what the audit log recorded recently (rows oldest first).
    pub fn seeded(rows: &[RecentUse], now: i64) -> Self {
        let ledger = Self::default();
        {
            let mut users = ledger.lock();
            let mut tokens: Vec<(i32, i64, u64)> = Vec::new();
            for row in rows {
                let user = users.entry(row.user_id).or_default();
                if row.counts_as_request && row.created_at > now - MINUTE_MS {
                    user.requests.push_back(row.created_at);
                }
                if row.completion_tokens > 0 {
                    tokens.push((row.user_id, row.finished_at, row.completion_tokens));
                }
            }
            tokens.sort_by_key(|&(_, at, _)| at);
            for (user_id, at, count) in tokens {
                users
                    .entry(user_id)
                    .or_default()
                    .tokens
                    .push_back((at, count));
            }
            for user in users.values_mut() {
                user.forget_before(now);
            }
            users.retain(|_, user| !user.is_empty());
        }
        ledger
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, UserUse>> {
        // The map is valid after any panic mid-update (each step leaves it consistent).
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request arriving `now` when it is within `limits`; refuses it (counting
    /// nothing) when a limit is reached.
    pub fn admit(
        &self,
        user_id: i32,
        limits: &QuotaLimits,
        kind: QuotaUse,
        now: i64,
    ) -> Result<(), OverQuota> {
        let mut users = self.lock();
        let user = users.entry(user_id).or_default();
        user.forget_before(now);
        if let Some(limit) = limits.requests_per_minute {
            let limit = limit as usize;
            if user.requests.len() >= limit {
                // The request that must leave the window for one more to fit.
                let frees_at = user.requests[user.requests.len() - limit] + MINUTE_MS;
                return Err(OverQuota {
                    detail: format!(
                        "request quota reached: {limit} requests per minute; retry in {} s",
                        secs_until(frees_at, now)
                    ),
                    retry_after_secs: secs_until(frees_at, now),
                });
            }
        }
        if let (QuotaUse::Generation, Some(limit)) = (kind, limits.tokens_per_day) {
            let mut used = user.tokens();
            if used >= limit {
                let mut frees_at = now;
                for &(at, count) in &user.tokens {
                    used -= count;
                    frees_at = at + DAY_MS;
                    if used < limit {
                        break;
                    }
                }
                return Err(OverQuota {
                    detail: format!(
                        "token quota reached: {limit} generated tokens per 24 hours; retry in {} s",
                        secs_until(frees_at, now)
                    ),
                    retry_after_secs: secs_until(frees_at, now),
                });
            }
        }
        user.requests.push_back(now);
        Ok(())
    }

    /// Counts tokens a request of `user_id` generated, as of `now`.
    pub fn add_tokens(&self, user_id: i32, tokens: u64, now: i64) {
        if tokens == 0 {
            return;
        }
        let mut users = self.lock();
        let user = users.entry(user_id).or_default();
        user.forget_before(now);
        user.tokens.push_back((now, tokens));
    }

    /// (requests in the last minute, generated tokens in the last 24 hours).
    pub fn current(&self, user_id: i32, now: i64) -> (u64, u64) {
        let mut users = self.lock();
        let Some(user) = users.get_mut(&user_id) else {
            return (0, 0);
        };
        user.forget_before(now);
        (user.requests.len() as u64, user.tokens())
    }

    /// Drops users with nothing recent (run now and then, so the map stays small).
    pub fn compact(&self, now: i64) {
        let mut users = self.lock();
        for user in users.values_mut() {
            user.forget_before(now);
        }
        users.retain(|_, user| !user.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000_000;

    fn limits(rpm: Option<u32>, tpd: Option<u64>) -> QuotaLimits {
        QuotaLimits {
            requests_per_minute: rpm,
            tokens_per_day: tpd,
        }
    }

    #[test]
    fn the_request_over_the_minute_limit_is_told_when_the_oldest_leaves_the_window() {
        let ledger = UsageLedger::default();
        let rpm = limits(Some(2), None);
        ledger.admit(1, &rpm, QuotaUse::Other, NOW).unwrap();
        ledger
            .admit(1, &rpm, QuotaUse::Other, NOW + 10_000)
            .unwrap();
        let refused = ledger
            .admit(1, &rpm, QuotaUse::Other, NOW + 20_000)
            .unwrap_err();
        assert_eq!(refused.retry_after_secs, 40);
        // A refused request is not counted; once the first leaves the window one more fits.
        ledger
            .admit(1, &rpm, QuotaUse::Other, NOW + 60_001)
            .unwrap();
        assert_eq!(ledger.current(1, NOW + 60_001), (2, 0));
        // Other users are not affected.
        ledger
            .admit(2, &rpm, QuotaUse::Other, NOW + 20_000)
            .unwrap();
    }

    #[test]
    fn the_token_limit_refuses_generations_only_until_enough_tokens_age_out() {
        let ledger = UsageLedger::default();
        let tpd = limits(None, Some(100));
        ledger.add_tokens(1, 60, NOW);
        ledger.add_tokens(1, 50, NOW + 3_600_000);
        let refused = ledger
            .admit(1, &tpd, QuotaUse::Generation, NOW + 7_200_000)
            .unwrap_err();
        // Dropping the first 60 tokens brings the day's use under the limit.
        assert_eq!(refused.retry_after_secs, (DAY_MS - 7_200_000) as u64 / 1000);
        ledger
            .admit(1, &tpd, QuotaUse::Other, NOW + 7_200_000)
            .unwrap();
        ledger
            .admit(1, &tpd, QuotaUse::Generation, NOW + DAY_MS + 1)
            .unwrap();
    }

    #[test]
    fn a_seeded_ledger_counts_what_the_log_recorded_inside_each_window() {
        let rows = [
            RecentUse {
                user_id: 7,
                created_at: NOW - 2 * MINUTE_MS,
                finished_at: NOW - 2 * MINUTE_MS + 500,
                completion_tokens: 40,
                counts_as_request: true,
            },
            RecentUse {
                user_id: 7,
                created_at: NOW - 1_000,
                finished_at: NOW - 500,
                completion_tokens: 2,
                counts_as_request: true,
            },
            RecentUse {
                user_id: 7,
                created_at: NOW - 900,
                finished_at: NOW - 900,
                completion_tokens: 0,
                counts_as_request: false,
            },
        ];
        let ledger = UsageLedger::seeded(&rows, NOW);
        assert_eq!(ledger.current(7, NOW), (1, 42));
    }
}
