//! Download progress as Server-Sent Events: many listeners, at least once a second, to the end.

use std::time::{Duration, Instant};

use mlx_manager_tests::TestApp;
use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, fixture, spawn_with_hub};
use reqwest::Method;
use serde_json::Value;

use super::REPO;

/// Reads a whole event stream: (seconds since start, event data) per `progress` event.
async fn listen(app: &TestApp, token: &str, id: i64) -> Vec<(f64, Value)> {
    let started = Instant::now();
    let mut response = app
        .authed(
            Method::GET,
            &format!("/api/models/downloads/{id}/events"),
            token,
        )
        .send()
        .await
        .expect("events");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut current_event = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(60), response.chunk())
        .await
        .expect("the stream went quiet")
        .expect("stream chunk")
    {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find('\n') {
            let line = buffer[..end].trim_end_matches('\r').to_string();
            buffer.drain(..=end);
            if let Some(name) = line.strip_prefix("event:") {
                current_event = name.trim().to_string();
            } else if let Some(data) = line.strip_prefix("data:")
                && current_event == "progress"
            {
                let value: Value = serde_json::from_str(data.trim()).expect("event JSON");
                events.push((started.elapsed().as_secs_f64(), value));
            }
        }
    }
    events
}

#[tokio::test]
async fn twenty_listeners_each_see_live_progress_at_least_once_a_second_and_the_final_state() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(400_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = started["id"].as_i64().unwrap();

    let listeners: Vec<_> = (0..20).map(|_| listen(&app, &token, id)).collect();
    let streams = futures_util::future::join_all(listeners).await;

    for events in streams {
        let (_, last) = events.last().expect("no events");
        assert_eq!(last["status"], "completed", "last event: {last}");
        assert_eq!(last["downloaded_bytes"], last["total_bytes"]);
        let live: Vec<_> = events
            .iter()
            .filter(|(_, e)| e["status"] == "downloading" && e["total_bytes"].as_u64() > Some(0))
            .collect();
        assert!(live.len() >= 3, "too few live events: {}", live.len());
        assert!(
            live.iter()
                .any(|(_, e)| e["bytes_per_second"].as_f64() > Some(0.0)
                    && e["eta_seconds"].is_u64()
                    && e["current_file"].is_string()
                    && e["files_total"].as_u64() > Some(0)),
            "no event carried a rate, an ETA and the current file"
        );
        let bytes: Vec<u64> = events
            .iter()
            .map(|(_, e)| e["downloaded_bytes"].as_u64().unwrap())
            .collect();
        assert!(
            bytes.windows(2).all(|w| w[0] <= w[1]),
            "progress went backwards: {bytes:?}"
        );
        let gaps = events.windows(2).map(|w| w[1].0 - w[0].0);
        let longest = gaps.fold(0.0, f64::max);
        assert!(longest <= 1.5, "{longest:.2} s without an event");
    }
}

#[tokio::test]
async fn the_events_of_a_finished_download_are_its_final_state_then_the_end() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = started["id"].as_i64().unwrap();
    app.wait_status(&token, id, "completed", Duration::from_secs(60))
        .await;

    let events = listen(&app, &token, id).await;

    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].1["status"], "completed");
}

#[tokio::test]
async fn events_need_credentials() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let response = app.get("/api/models/downloads/1/events").await;
    assert_eq!(response.status(), 401);
}
