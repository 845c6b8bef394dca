//! What the hub's refusals and a broken connection mean, as [`HubError`]s.

use reqwest::{Response, StatusCode};

use super::HUB;
use crate::HubError;

pub(super) async fn check_status(response: Response, what: &str) -> Result<Response, HubError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let code = response
        .headers()
        .get("x-error-code")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Err(match (status, code.as_str()) {
        (_, "GatedRepo") | (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, _) => {
            HubError::AccessDenied(format!(
                "the hub refused access to {what}: the repository is gated or private; \
                 accept its terms on the hub and set HF_TOKEN"
            ))
        }
        (_, "RepoNotFound") => HubError::NotFound(format!("{what}: model repository not found")),
        (_, "RevisionNotFound") => HubError::NotFound(format!("{what}: revision not found")),
        (_, "EntryNotFound") | (StatusCode::NOT_FOUND, _) => {
            HubError::NotFound(format!("{what}: file not found"))
        }
        _ => unavailable(format!("the hub answered {status} for {what}")),
    })
}

pub(super) fn transport_error(error: reqwest::Error) -> HubError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "connection failed"
    };
    // reqwest's message holds the URL, which never holds a secret here (tokens go in headers).
    HubError::Transport {
        message: format!("{kind}: {error}"),
        source: error,
    }
}

pub(crate) fn unavailable(message: String) -> HubError {
    HubError::Unavailable {
        service: HUB,
        message,
    }
}
