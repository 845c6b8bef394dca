//! The `/v1` client of `mlx-manager chat`: checks the model, streams an answer's Server-Sent
//! Events to the terminal, and stops it on Ctrl-C (dropping the response cancels the
//! generation on the server).

use std::io::{IsTerminal, Write};

use serde_json::Value;
use tokio::signal::unix::Signal;

pub struct ChatClient {
    http: reqwest::Client,
    base: String,
    api_key: String,
}

/// How an answer ended; both carry the text the model wrote.
pub enum Reply {
    Finished(String),
    Interrupted(String),
}

/// The message of an OpenAI error body, else the body itself.
fn error_message(status: reqwest::StatusCode, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| v["error"]["message"].as_str())
        .unwrap_or(body);
    format!("{status}: {message}")
}

impl ChatClient {
    pub fn new(url: &str, api_key: &str) -> Result<Self, String> {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(format!(
                "--url must start with http:// or https://, got {url:?}"
            ));
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
        })
    }

    /// The model exists for this key (`GET /v1/models/{id}`).
    pub async fn check_model(&self, model: &str) -> Result<(), String> {
        let url = format!("{}/v1/models/{}", self.base, model);
        let response = self
            .http
            .get(url)
            .bearer_auth(&self.api_key)
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(error_message(status, &body))
    }

    /// Streams the answer to `body` into `out` (thinking dimmed on a terminal).
    /// `interrupt` is the chat's one Ctrl-C listener: one made per wait would miss a Ctrl-C
    /// pressed between two waits.
    pub async fn stream_answer(
        &self,
        body: &Value,
        out: &mut impl Write,
        interrupt: &mut Signal,
    ) -> Result<Reply, String> {
        let send = self
            .http
            .post(format!("{}/v1/chat/completions", self.base))
            .bearer_auth(&self.api_key)
            .json(body)
            .send();
        let mut response = tokio::select! {
            response = send => response.map_err(|e| format!("cannot reach {}: {e}", self.base))?,
            _ = interrupt.recv() => return Ok(Reply::Interrupted(String::new())),
        };
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(error_message(status, &body));
        }
        let dim = std::io::stdout().is_terminal();
        let mut events = EventLines::default();
        let mut answer = String::new();
        let mut thinking = false;
        loop {
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk.map_err(|e| format!("the answer broke off: {e}"))?,
                _ = interrupt.recv() => {
                    if thinking && dim {
                        let _ = write!(out, "\x1b[0m");
                    }
                    return Ok(Reply::Interrupted(answer));
                }
            };
            let Some(chunk) = chunk else {
                return Err("the server closed the stream before it finished".into());
            };
            for data in events.push(&chunk) {
                if data == "[DONE]" {
                    return Ok(Reply::Finished(answer));
                }
                let event: Value = serde_json::from_str(&data)
                    .map_err(|e| format!("the server sent an unreadable event ({e}): {data}"))?;
                if let Some(message) = event["error"]["message"].as_str() {
                    return Err(message.to_string());
                }
                let delta = &event["choices"][0]["delta"];
                if let Some(text) = delta["reasoning_content"].as_str() {
                    if !thinking && dim {
                        let _ = write!(out, "\x1b[2m");
                    }
                    thinking = true;
                    let _ = write!(out, "{text}");
                }
                if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                    if thinking {
                        let _ = write!(out, "{}\n\n", if dim { "\x1b[0m" } else { "" });
                        thinking = false;
                    }
                    answer.push_str(text);
                    let _ = write!(out, "{text}");
                }
                let _ = out.flush();
            }
        }
    }
}

/// Splits a byte stream into the `data:` payloads of Server-Sent Events (comments and other
/// fields skipped; a line may arrive in pieces).
#[derive(Default)]
struct EventLines {
    pending: Vec<u8>,
}

impl EventLines {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(bytes);
        let mut payloads = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(data) = line.strip_prefix("data:") {
                payloads.push(data.strip_prefix(' ').unwrap_or(data).to_string());
            }
        }
        payloads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_join_pieces_and_skip_comments() {
        let mut lines = EventLines::default();
        assert!(lines.push(b": waiting\n\ndata: {\"a\"").is_empty());
        assert_eq!(
            lines.push(b": 1}\n\ndata: [DONE]\n\n"),
            ["{\"a\": 1}", "[DONE]"]
        );
    }

    #[test]
    fn errors_show_the_servers_message() {
        let body = r#"{"error": {"message": "The model `x` does not exist", "type": "invalid_request_error"}}"#;
        assert_eq!(
            error_message(reqwest::StatusCode::NOT_FOUND, body),
            "404 Not Found: The model `x` does not exist"
        );
        assert_eq!(
            error_message(reqwest::StatusCode::BAD_GATEWAY, "oops"),
            "502 Bad Gateway: oops"
        );
    }
}
