//! The audit log of model-API use: what one request did, never what it said.

/// One finished model-API request, as it is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    /// When the request arrived, Unix milliseconds.
    pub created_at: i64,
    pub request_id: Option<String>,
    /// Who called; `None` when the request was refused before anyone was recognised.
    pub user_id: Option<i32>,
    /// The API key used (never the key itself); `None` for an access token.
    pub api_key_id: Option<i32>,
    /// The model as the request named it.
    pub model: Option<String>,
    /// The route template, e.g. `/v1/chat/completions`.
    pub endpoint: String,
    /// The response status the caller got.
    pub status: u16,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// From arrival to the first generated token.
    pub ttft_ms: Option<u64>,
    /// From arrival to the last byte of the answer (or the client leaving).
    pub duration_ms: u64,
    /// What went wrong, as a stable code (`model_not_found`, `cancelled`, …).
    pub error_type: Option<String>,
    /// The client's IP address (behind a trusted proxy, the one it forwarded).
    pub client_address: Option<String>,
}

impl AuditEntry {
    /// Whether the request counts against a requests-per-minute quota: every request but one
    /// refused for being over a quota (or a client retrying would lock itself out).
    pub fn counts_as_request(&self) -> bool {
        self.error_type.as_deref() != Some(QUOTA_EXCEEDED)
    }
}

/// The error type of a request refused by a quota.
pub const QUOTA_EXCEEDED: &str = "quota_exceeded";

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i32,
    pub entry: AuditEntry,
}

/// Which entries a query is about; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<i32>,
    pub model: Option<String>,
    pub endpoint: Option<String>,
    pub status: Option<u16>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
}

/// Requests and tokens of one group of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageTotals {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// Totals of the entries a filter selects, and broken down three ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditStats {
    pub total: UsageTotals,
    pub by_status: Vec<(u16, UsageTotals)>,
    /// `None`: requests that named no model.
    pub by_model: Vec<(Option<String>, UsageTotals)>,
    pub by_user: Vec<UserTotals>,
}

/// One user's requests and tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserTotals {
    /// `None`: requests refused before a user was recognised.
    pub user_id: Option<i32>,
    /// The account's e-mail address (`None` once the account is deleted, or for no user).
    pub email: Option<String>,
    pub totals: UsageTotals,
}
