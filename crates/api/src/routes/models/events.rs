//! `GET /api/models/downloads/{id}/events`: progress as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use mlx_manager_hub::downloads::DownloadSnapshot;

use super::dto::DownloadResponse;
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Watchers hear at least this often, even when nothing moved (a stall shows as a falling rate).
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Streams a download's progress: an event at every state change and at least once a second,
/// each `event: progress` with a download as data; the stream ends after the final state.
/// Authenticate with the `Authorization` header (e.g. with `fetch`, not `EventSource`).
#[utoipa::path(
    get,
    path = "/api/models/downloads/{id}/events",
    tag = "downloads",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i32, Path)),
    responses(
        (status = 200, description = "`text/event-stream` of `progress` events (data: a download)", content_type = "text/event-stream", body = DownloadResponse),
        problems::Unauthorized,
        problems::NotFound,
    ),
)]
pub async fn download_events(
    State(state): State<AppState>,
    _user: CurrentUser,
    Path(id): Path<i32>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first = state.hub.downloads().get(id).await?;
    let receiver = state.hub.downloads().subscribe(id);
    let stream = async_stream(first, receiver);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn event(snapshot: DownloadSnapshot) -> Result<Event, Infallible> {
    let body = DownloadResponse::from(snapshot);
    Ok(Event::default()
        .event("progress")
        .json_data(&body)
        .unwrap_or_else(|_| Event::default().event("progress")))
}

fn async_stream(
    first: DownloadSnapshot,
    receiver: Option<tokio::sync::watch::Receiver<DownloadSnapshot>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(
        (Some(first), receiver, tokio::time::interval(HEARTBEAT)),
        |(pending, mut receiver, mut heartbeat)| async move {
            if let Some(snapshot) = pending {
                heartbeat.reset();
                return Some((event(snapshot), (None, receiver, heartbeat)));
            }
            let rx = receiver.as_mut()?;
            tokio::select! {
                changed = rx.changed() => {
                    let snapshot = rx.borrow_and_update().clone();
                    if changed.is_err() {
                        // The job ended: send its final state once, then close.
                        return Some((event(snapshot), (None, None, heartbeat)));
                    }
                    heartbeat.reset();
                    Some((event(snapshot), (None, receiver, heartbeat)))
                }
                _ = heartbeat.tick() => {
                    let snapshot = rx.borrow().clone();
                    Some((event(snapshot), (None, receiver, heartbeat)))
                }
            }
        },
    )
}
