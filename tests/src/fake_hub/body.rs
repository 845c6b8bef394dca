//! File-content bodies, streamed in chunks (from memory or disk) with the injected faults applied.

use std::io::SeekFrom;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderValue;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::time::Instant;

use super::Shared;
use super::faults::ContentPlan;
use super::repo::{Content, HubFile};

/// Chunk size without a rate limit.
const CHUNK: u64 = 512 * 1024;

/// What a `Range` header asks of a file of a given length.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum RangeRequest {
    Full,
    /// First and last byte, inclusive.
    Partial(u64, u64),
    Unsatisfiable,
}

/// Single ranges only (`bytes=N-`, `bytes=N-M`, `bytes=-S`); anything else is ignored (full body).
pub(super) fn parse_range(header: Option<&HeaderValue>, len: u64) -> RangeRequest {
    let Some(spec) = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().strip_prefix("bytes="))
    else {
        return RangeRequest::Full;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match last.parse::<u64>() {
            Ok(0) => RangeRequest::Unsatisfiable,
            Ok(_) if len == 0 => RangeRequest::Unsatisfiable,
            Ok(suffix) => RangeRequest::Partial(len - suffix.min(len), len - 1),
            Err(_) => RangeRequest::Full,
        };
    }
    let Ok(first) = first.parse::<u64>() else {
        return RangeRequest::Full;
    };
    let last = if last.is_empty() {
        None
    } else {
        match last.parse::<u64>() {
            Ok(last) if last >= first => Some(last),
            _ => return RangeRequest::Full,
        }
    };
    if first >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Partial(first, last.map_or(len - 1, |last| last.min(len - 1)))
}

/// A body sending bytes `start..end` of `file`, counted as content of `repo_id`'s file.
pub(super) fn content_body(
    shared: Arc<Shared>,
    repo_id: &str,
    file: &HubFile,
    start: u64,
    end: u64,
    plan: ContentPlan,
) -> Body {
    let state = BodyState {
        shared,
        repo_id: repo_id.to_owned(),
        path: file.path.clone(),
        content: file.content.clone(),
        disk: None,
        offset: start,
        start,
        end,
        corrupt_at: plan.corrupt.then_some(file.size / 2),
        cut_after: plan.cut_after,
        stall: plan.stall,
        throttle: Throttle::new(None),
        finished: false,
    };
    let stream = futures_util::stream::unfold(state, |mut state| async move {
        let item = state.next_chunk().await?;
        Some((item, state))
    });
    Body::from_stream(stream)
}

struct BodyState {
    shared: Arc<Shared>,
    repo_id: String,
    path: String,
    content: Content,
    disk: Option<tokio::fs::File>,
    /// Absolute position of the next byte to send.
    offset: u64,
    start: u64,
    end: u64,
    corrupt_at: Option<u64>,
    cut_after: Option<u64>,
    stall: Option<(u64, Duration)>,
    throttle: Throttle,
    finished: bool,
}

struct Throttle {
    rate: Option<u64>,
    since: Instant,
    bytes: u64,
}

impl Throttle {
    fn new(rate: Option<u64>) -> Self {
        Self {
            rate,
            since: Instant::now(),
            bytes: 0,
        }
    }
}

impl BodyState {
    async fn next_chunk(&mut self) -> Option<std::io::Result<Bytes>> {
        if self.finished || self.offset >= self.end {
            return None;
        }
        let sent = self.offset - self.start;
        if let Some(cut) = self.cut_after
            && sent >= cut
        {
            self.finished = true;
            // Let the connection flush what was sent, then fail the body: hyper closes it.
            tokio::time::sleep(Duration::from_millis(20)).await;
            return Some(Err(std::io::Error::other(
                "fake hub: connection cut (fault injection)",
            )));
        }
        if let Some((after, duration)) = self.stall
            && sent >= after
        {
            self.stall = None;
            tokio::time::sleep(duration).await;
            self.throttle = Throttle::new(self.throttle.rate);
        }
        let rate = self.shared.faults.rate();
        let mut len = match rate {
            Some(rate) => (rate / 10).clamp(1024, 64 * 1024),
            None => CHUNK,
        };
        len = len.min(self.end - self.offset);
        if let Some(cut) = self.cut_after {
            len = len.min(cut - sent);
        }
        if let Some((after, _)) = self.stall {
            len = len.min(after - sent);
        }
        self.throttle(rate, len).await;
        let mut bytes = match self.read(len).await {
            Ok(bytes) => bytes,
            Err(error) => {
                self.finished = true;
                return Some(Err(error));
            }
        };
        if let Some(at) = self.corrupt_at
            && (self.offset..self.offset + len).contains(&at)
        {
            let mut corrupted = bytes.to_vec();
            corrupted[(at - self.offset) as usize] ^= 0xff;
            bytes = Bytes::from(corrupted);
        }
        self.offset += len;
        self.shared.count_bytes(&self.repo_id, &self.path, len);
        Some(Ok(bytes))
    }

    async fn throttle(&mut self, rate: Option<u64>, len: u64) {
        if rate != self.throttle.rate {
            self.throttle = Throttle::new(rate);
        }
        if let Some(rate) = rate {
            let due = self.throttle.since
                + Duration::from_secs_f64(self.throttle.bytes as f64 / rate as f64);
            tokio::time::sleep_until(due).await;
            self.throttle.bytes += len;
        }
    }

    async fn read(&mut self, len: u64) -> std::io::Result<Bytes> {
        match &self.content {
            Content::Memory(bytes) => {
                Ok(bytes.slice(self.offset as usize..(self.offset + len) as usize))
            }
            Content::Disk(path) => {
                if self.disk.is_none() {
                    let mut file = tokio::fs::File::open(path).await?;
                    file.seek(SeekFrom::Start(self.offset)).await?;
                    self.disk = Some(file);
                }
                let file = self.disk.as_mut().expect("opened above");
                let mut buffer = vec![0u8; len as usize];
                file.read_exact(&mut buffer).await?;
                Ok(Bytes::from(buffer))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, len: u64) -> RangeRequest {
        parse_range(Some(&HeaderValue::from_str(value).unwrap()), len)
    }

    #[test]
    fn ranges_are_parsed_as_http_says() {
        assert_eq!(parse_range(None, 10), RangeRequest::Full);
        assert_eq!(range("bytes=3-", 10), RangeRequest::Partial(3, 9));
        assert_eq!(range("bytes=3-5", 10), RangeRequest::Partial(3, 5));
        assert_eq!(range("bytes=3-50", 10), RangeRequest::Partial(3, 9));
        assert_eq!(range("bytes=-4", 10), RangeRequest::Partial(6, 9));
        assert_eq!(range("bytes=-40", 10), RangeRequest::Partial(0, 9));
        assert_eq!(range("bytes=10-", 10), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=5-3", 10), RangeRequest::Full);
        assert_eq!(range("items=1-2", 10), RangeRequest::Full);
    }
}
