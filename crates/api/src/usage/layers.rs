//! The `/v1` layers of the audit log and the quotas.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use mlx_manager_auth::Principal;
use mlx_manager_core::domain::AuditEntry;
use mlx_manager_core::time::now_millis;
use mlx_manager_core::usage::{QuotaService, QuotaUse};
use tower_http::request_id::RequestId;

use super::AuditTicket;
use crate::client_address::client_of;
use crate::error::{ApiError, ErrorSummary};
use crate::state::AppState;

/// Records every request of the router it wraps (apply it outermost, so that it sees the
/// status and error the client gets). The entry is written when the body ends or is dropped:
/// a stream's tokens, and a client that left, are counted.
pub async fn audit_requests(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let endpoint = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_string(),
        |p| p.as_str().to_string(),
    );
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .map(str::to_string);
    let client_address = client_of(
        request.extensions(),
        request.headers(),
        &state.trusted_proxies,
    )
    .map(|ip| ip.to_string());
    let ticket = AuditTicket::new(
        Some(state.audit.clone()),
        AuditEntry {
            created_at: now_millis(),
            request_id,
            endpoint,
            client_address,
            ..AuditEntry::default()
        },
    );
    request.extensions_mut().insert(ticket.clone());
    let response = next.run(request).await;
    ticket.status(response.status().as_u16());
    if let Some(summary) = response.extensions().get::<ErrorSummary>() {
        ticket.error(summary.code.as_deref().unwrap_or("error"));
    }
    response.map(|body| {
        Body::new(AuditedBody {
            inner: Some(body),
            ended: false,
            ticket,
        })
    })
}

/// A response body that holds its request's entry until it is done with, and tells whether the
/// client left before its end.
struct AuditedBody {
    inner: Option<Body>,
    ended: bool,
    ticket: AuditTicket,
}

impl HttpBody for AuditedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = match self.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_frame(cx),
            None => Poll::Ready(None),
        };
        if matches!(polled, Poll::Ready(None)) {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for AuditedBody {
    fn drop(&mut self) {
        let ended = self.ended || self.inner.as_ref().is_none_or(HttpBody::is_end_stream);
        if !ended {
            self.ticket.error("cancelled");
        }
    }
}

/// What a route uses of the quotas: generations count against both limits.
fn quota_use(endpoint: Option<&str>) -> QuotaUse {
    match endpoint {
        Some("/v1/chat/completions" | "/v1/completions" | "/v1/messages") => QuotaUse::Generation,
        _ => QuotaUse::Other,
    }
}

/// Refuses a request over its caller's quota (apply it inside authentication, which names the
/// caller).
pub async fn enforce_quotas(
    State(quotas): State<QuotaService>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let principal = request.extensions().get::<Principal>().cloned();
    if let Some(principal) = principal {
        if let Some(ticket) = request.extensions().get::<AuditTicket>() {
            ticket.caller(&principal);
        }
        let kind = quota_use(
            request
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str),
        );
        quotas.admit(&principal.user, kind).await?;
    }
    Ok(next.run(request).await)
}
