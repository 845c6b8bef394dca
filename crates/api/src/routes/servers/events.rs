//! `GET /api/servers/events`: every change of the pool as Server-Sent Events, for the UI.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use mlx_manager_inference::generation::pool::{PoolChange, PoolEvent};
use mlx_manager_serving::Serving;
use tokio::sync::broadcast::{self, error::RecvError};

use super::dto::{ServerEvent, ServerResponse};
use crate::error::{ApiError, problems};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// First a `snapshot` of every server, then one event per change in the order they happened:
/// `changed` (state, load progress, counters of a model, with the servers using it), `removed`
/// and `limits`. Each event's `id` is the pool's change number. A watcher that falls behind gets
/// a fresh `snapshot`. Authenticate with the `Authorization` header (e.g. with `fetch`).
#[utoipa::path(
    get,
    path = "/api/servers/events",
    tag = "servers",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "`text/event-stream`; each event's data is a `ServerEvent` of its `event:` type", content_type = "text/event-stream", body = ServerEvent),
        problems::Unauthorized,
    ),
)]
pub async fn server_events(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (servers, sequence, receiver) = state.serving.watch_servers().await?;
    let first = snapshot_event(servers.into_iter().map(Into::into).collect(), sequence);
    let stream = futures_util::stream::unfold(
        (Some(first), sequence, receiver, state.serving.clone()),
        |(pending, last, mut receiver, serving)| async move {
            if let Some(event) = pending {
                return Some((Ok(event), (None, last, receiver, serving)));
            }
            loop {
                match receiver.recv().await {
                    // Already in the snapshot.
                    Ok(event) if event.sequence <= last => continue,
                    Ok(event) => {
                        let sequence = event.sequence;
                        let rendered = render(&serving, event).await;
                        return Some((Ok(rendered), (None, sequence, receiver, serving)));
                    }
                    Err(RecvError::Lagged(_)) => {
                        let (event, sequence, fresh) = resync(&serving).await?;
                        return Some((Ok(event), (None, sequence, fresh, serving)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn named(kind: &str, body: &ServerEvent, sequence: u64) -> Event {
    Event::default()
        .event(kind)
        .id(sequence.to_string())
        .json_data(body)
        .unwrap_or_else(|_| Event::default().event(kind))
}

fn snapshot_event(servers: Vec<ServerResponse>, sequence: u64) -> Event {
    named("snapshot", &ServerEvent::Snapshot { servers }, sequence)
}

async fn resync(serving: &Serving) -> Option<(Event, u64, broadcast::Receiver<PoolEvent>)> {
    let (servers, sequence, receiver) = serving.watch_servers().await.ok()?;
    let event = snapshot_event(servers.into_iter().map(Into::into).collect(), sequence);
    Some((event, sequence, receiver))
}

async fn render(serving: &Serving, event: PoolEvent) -> Event {
    let sequence = event.sequence;
    match event.change {
        PoolChange::Model(model) => {
            let profiles = serving
                .profiles_of_model(&model.key)
                .await
                .unwrap_or_default();
            let servers = if profiles.is_empty() {
                vec![ServerResponse::new(None, model.clone())]
            } else {
                profiles
                    .into_iter()
                    .map(|p| ServerResponse::new(Some((p.id, p.name)), model.clone()))
                    .collect()
            };
            let body = ServerEvent::Changed {
                model: model.key,
                servers,
            };
            named("changed", &body, sequence)
        }
        PoolChange::Removed { key } => {
            named("removed", &ServerEvent::Removed { model: key }, sequence)
        }
        PoolChange::Limits(limits) => named(
            "limits",
            &ServerEvent::Limits {
                memory_limit_bytes: limits.memory_limit_bytes,
                max_loaded_models: limits.max_loaded_models,
            },
            sequence,
        ),
    }
}
