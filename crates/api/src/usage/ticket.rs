//! One `/v1` request's audit entry while it runs: filled in by the layers, the handler and the
//! generation's observer as they learn who called, which model ran and how it went, and
//! recorded when the last of them lets go — after the answer's body is done with and the
//! generation has ended, so a stream the client left still counts the tokens it produced.

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
    /// Tokens seen so far, for a generation that does not finish.
    tokens_seen: u64,
}

impl Drop for Draft {
    fn drop(&mut self) {
        if let Some(log) = self.log.take() {
            self.entry.duration_ms = millis(self.started.elapsed());
            log.record(std::mem::take(&mut self.entry));
        }
    }
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
            tokens_seen: 0,
        })))
    }

    fn detached() -> Self {
        Self::new(None, AuditEntry::default())
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
            draft.tokens_seen += 1;
        });
    }

    /// Another token came.
    pub(super) fn next_token(&self) {
        self.with(|draft| draft.tokens_seen += 1);
    }

    /// The prompt was read: its tokens.
    pub(super) fn prompt_read(&self, prompt_tokens: u64) {
        self.with(|draft| draft.entry.prompt_tokens = Some(prompt_tokens));
    }

    /// The generation ended early: what it produced is what it used.
    pub(super) fn ended_with_tokens_seen(&self) {
        self.with(|draft| {
            if draft.entry.completion_tokens.is_none() {
                draft.entry.completion_tokens = Some(draft.tokens_seen);
            }
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
