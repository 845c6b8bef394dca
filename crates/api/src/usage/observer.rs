//! What a `/v1` generation tells: the metrics, and the request's audit entry.

use std::sync::Arc;
use std::time::Duration;

use mlx_manager_inference::generation::GenerationStats;
use mlx_manager_serving::{EndedEarly, GenerationObserver};

use super::AuditTicket;
use crate::metrics::Metrics;

/// The metrics' observer, also filling in the request's audit entry.
pub struct AuditedGeneration {
    pub metrics: Arc<Metrics>,
    pub ticket: AuditTicket,
}

impl GenerationObserver for AuditedGeneration {
    fn first_token(&self) {
        self.ticket.first_token_now();
    }

    fn started(&self, prompt_tokens: usize) {
        self.ticket.prompt_read(prompt_tokens as u64);
    }

    fn token_gap(&self, gap: Duration) {
        self.metrics.token_gap(gap);
        self.ticket.next_token();
    }

    fn finished(&self, model: &str, endpoint: &'static str, stats: &GenerationStats) {
        self.metrics.finished(model, endpoint, stats);
        self.ticket.tokens(
            stats.prompt_tokens as u64,
            Some(stats.generated_tokens as u64),
        );
        self.ticket.first_token_within(stats.time_to_first_token);
    }

    fn ended_early(&self, model: &str, endpoint: &'static str, how: EndedEarly) {
        self.metrics.ended_early(model, endpoint, how);
        self.ticket.ended_with_tokens_seen();
        match how {
            // The refusal's own error (its response) names it.
            EndedEarly::Refused => {}
            EndedEarly::Failed => self.ticket.error("generation_failed"),
            EndedEarly::Cancelled => self.ticket.error("cancelled"),
        }
    }
}

impl AuditTicket {
    /// The observer for this request's generation.
    pub fn observer(&self, metrics: &Arc<Metrics>) -> Arc<dyn GenerationObserver> {
        Arc::new(AuditedGeneration {
            metrics: metrics.clone(),
            ticket: self.clone(),
        })
    }
}
