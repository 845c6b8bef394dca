//! One `/v1` request's audit entry while it runs: filled in by the layers and the handler as
//! they learn who called, which model ran and how it went, and recorded when the answer's body
//! is finished or dropped.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use mlx_manager_auth::{Credential, Principal};
use mlx_manager_core::domain::AuditEntry;
use mlx_manager_core::usage::AuditLog;

struct Draft {
    entry: AuditEntry,
    started: Instant,
    log: Option<AuditLog>,
}

/// A handle on the request's entry; cloning shares it. A request outside the audit layer gets a
/// detached one, which records nothing.
#[derive(Clone)]
pub struct AuditTicket(Arc<Mutex<Draft>>);

impl AuditTicket {
    pub(super) fn new(log: Option<AuditLog>, entry: AuditEntry) -> Self {
        Self(Arc::new(Mutex::new(Draft {
            entry,
            started: Instant::now(),
            log,
        })))
    }

    fn detached() -> Self {
        Self::new(
            None,
            AuditEntry {
                created_at: 0,
                request_id: None,
                user_id: None,
                api_key_id: None,
                model: None,
                endpoint: String::new(),
                status: 0,
                prompt_tokens: None,
                completion_tokens: None,
                ttft_ms: None,
                duration_ms: 0,
                error_type: None,
            },
        )
    }

    fn with<R>(&self, change: impl FnOnce(&mut Draft) -> R) -> R {
        let mut draft = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut draft)
    }

    /// Who called: the user, and the API key's id when one was used (never the key).
    pub fn caller(&self, principal: &Principal) {
        self.with(|draft| {
            draft.entry.user_id = Some(principal.user.id);
            draft.entry.api_key_id = match principal.credential {
                Credential::ApiKey { id } => Some(id),
                Credential::Token { .. } => None,
            };
        });
    }

    /// The model as the request named it.
    pub fn model(&self, name: &str) {
        self.with(|draft| draft.entry.model = Some(name.to_string()));
    }

    /// The tokens read and generated.
    pub fn tokens(&self, prompt: u64, completion: Option<u64>) {
        self.with(|draft| {
            draft.entry.prompt_tokens = Some(prompt);
            draft.entry.completion_tokens = completion;
        });
    }

    /// The first token came now (from the request's arrival, as the client waits).
    pub(super) fn first_token_now(&self) {
        self.with(|draft| {
            draft
                .entry
                .ttft_ms
                .get_or_insert(millis(draft.started.elapsed()));
        });
    }

    /// The first token's time as the engine measured it, when none was seen here.
    pub(super) fn first_token_within(&self, engine_ttft: Duration) {
        self.with(|draft| {
            draft.entry.ttft_ms.get_or_insert(millis(engine_ttft));
        });
    }

    /// What went wrong, unless something was already named.
    pub fn error(&self, error_type: &str) {
        self.with(|draft| {
            draft
                .entry
                .error_type
                .get_or_insert_with(|| error_type.to_string());
        });
    }

    pub(super) fn status(&self, status: u16) {
        self.with(|draft| draft.entry.status = status);
    }

    /// Records the entry (once: later calls do nothing).
    pub(super) fn finish(&self) {
        let (log, entry) = self.with(|draft| {
            draft.entry.duration_ms = millis(draft.started.elapsed());
            (draft.log.take(), draft.entry.clone())
        });
        if let Some(log) = log {
            log.record(entry);
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl<S: Send + Sync> FromRequestParts<S> for AuditTicket {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<AuditTicket>()
            .cloned()
            .unwrap_or_else(Self::detached))
    }
}
